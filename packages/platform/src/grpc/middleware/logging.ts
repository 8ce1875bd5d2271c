import { ServerError, Status } from 'nice-grpc';
import type { Logger } from '../../logger.js';

/** Context added by the server pipeline: the call's logger and trace. */
export interface LoggingContext {
  /** Logger bound to this call's method and trace id. */
  logger: Logger;
  traceId: string;
  /** traceparent to send downstream (this call's span as parent). */
  traceparent: string;
}

/** The status name a finished call reports, for logs and metrics. */
export function statusName(err: unknown): string {
  if (err instanceof ServerError) return Status[err.code] ?? 'UNKNOWN';
  if (err instanceof Error && err.name === 'AbortError') return 'CANCELLED';
  return 'UNKNOWN';
}

/** Statuses that point at this server (or its dependencies), not at the caller. */
const serverFaults = new Set(['INTERNAL', 'UNKNOWN', 'UNAVAILABLE', 'DATA_LOSS', 'UNIMPLEMENTED']);

/** Options of {@link callOutcomeLog}. */
export interface RequestLoggingOptions {
  /** Successful calls that took at least this long log at info; 0 turns it off. Default 1000 ms. */
  slowCallMs?: number;
}

/** What the outcome log reads of a call; the call's logger is made only when a line is written. */
export interface LoggedCall {
  readonly logger: Logger;
  readonly peer: string;
}

/** Writes the one line a finished call gets, if any. */
export interface CallOutcomeLog {
  succeeded(call: LoggedCall, ms: number): void;
  failed(call: LoggedCall, err: unknown, code: string, ms: number): void;
}

/**
 * The outcome line of every call. Successful calls log at debug (pino drops them for nothing at
 * info): at thousands of calls per second an info line per call costs more than the call. Slow
 * successful calls and client mistakes log at info, server faults at error.
 */
export function callOutcomeLog(logger: Logger, options: RequestLoggingOptions = {}): CallOutcomeLog {
  const slowCallMs = options.slowCallMs ?? 1000;
  return {
    succeeded(call, ms) {
      if (slowCallMs > 0 && ms >= slowCallMs) call.logger.info({ code: 'OK', ms: Math.round(ms), peer: call.peer }, 'slow grpc call');
      else if (logger.isLevelEnabled('debug')) call.logger.debug({ code: 'OK', ms: Math.round(ms) }, 'grpc call');
    },
    failed(call, err, code, ms) {
      const fields = { code, ms: Math.round(ms), peer: call.peer, details: (err as ServerError).details };
      if (serverFaults.has(code)) call.logger.error(fields, 'grpc call failed');
      else call.logger.info(fields, 'grpc call rejected');
    },
  };
}
