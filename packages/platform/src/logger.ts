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

/** A warning that repeats while something stays broken, written at most once per interval. */
export interface ThrottledWarn {
  /** Writes the warning with `suppressed` (how many were held back since the last one), or holds it back. */
  (fields: Record<string, unknown>, message: string): void;
  /** Starts over (e.g. once the failing thing is back); says whether anything was written before. */
  reset(): boolean;
}

/**
 * A warn logger for failures that repeat on every request while a dependency is down (Redis, a
 * cache): the first is written at once, later ones at most every `intervalMs` with the count held
 * back in between, so an outage neither floods the log nor goes unseen.
 */
export function throttledWarn(logger: Logger, intervalMs = 10_000): ThrottledWarn {
  let lastLogged = 0;
  let suppressed = 0;
  const warn = (fields: Record<string, unknown>, message: string) => {
    const now = Date.now();
    if (lastLogged !== 0 && now - lastLogged < intervalMs) {
      suppressed += 1;
      return;
    }
    logger.warn({ ...fields, suppressed }, message);
    lastLogged = now;
    suppressed = 0;
  };
  return Object.assign(warn, {
    reset() {
      const logged = lastLogged !== 0;
      lastLogged = 0;
      suppressed = 0;
      return logged;
    },
  });
}
