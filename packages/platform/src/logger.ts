import pino from 'pino';

/** The structured logger every package uses (pino). */
export type Logger = pino.Logger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level; defaults to LOG_LEVEL's default 'info'. */
  level?: string;
  /** Where JSON lines go; stdout when absent (tests pass a stream to inspect lines). */
  destination?: pino.DestinationStream;
}

/**
 * A JSON logger carrying a `service` field and ISO timestamps. Credentials are redacted at the
 * source, because request metadata and config objects are logged on failures.
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
          'metadata.authorization',
          'password',
          '*.password',
          'token',
          '*.token',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
