import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc';
import type { Logger } from '../../logger.js';
import { continueTrace, formatTraceparent, TRACEPARENT_HEADER } from '../trace.js';

/** Context added by {@link requestLoggingMiddleware}. */
export interface LoggingContext {
  /** Child logger bound to this call's method and trace id. */
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

/**
 * `logger.child(bindings)`, made on first use. A pino child costs several microseconds (bindings
 * serialised, redaction set up), and most calls succeed without logging anything: the call's
 * logger exists for the few that do. Every property access goes to the real child.
 */
function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = () => {
    child ??= logger.child(bindings);
    return child;
  };
  return new Proxy({} as Logger, {
    get(_, property) {
      const target = real();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(_, property, value) {
      return Reflect.set(real(), property, value);
    },
    has(_, property) {
      return Reflect.has(real(), property);
    },
  });
}

/** Statuses that point at this server (or its dependencies), not at the caller. */
const serverFaults = new Set(['INTERNAL', 'UNKNOWN', 'UNAVAILABLE', 'DATA_LOSS', 'UNIMPLEMENTED']);

/** Options of {@link requestLoggingMiddleware}. */
export interface RequestLoggingOptions {
  /** Successful calls that took at least this long log at info; 0 turns it off. Default 1000 ms. */
  slowCallMs?: number;
}

/**
 * Gives each call a child logger carrying method and W3C trace id and logs its outcome. Successful
 * calls log at debug (pino drops them for nothing at info): at thousands of calls per second an
 * info line per call costs more than the call. Slow successful calls and client mistakes log at
 * info, server faults at error.
 */
export function requestLoggingMiddleware(logger: Logger, options: RequestLoggingOptions = {}) {
  const slowCallMs = options.slowCallMs ?? 1000;
  return async function* requestLogging<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, LoggingContext>,
    context: CallContext,
  ) {
    const trace = continueTrace(context.metadata.get(TRACEPARENT_HEADER));
    const callLogger = lazyChild(logger, { method: call.method.path, traceId: trace.traceId });
    const started = performance.now();
    try {
      const result = yield* call.next(call.request, {
        ...context,
        logger: callLogger,
        traceId: trace.traceId,
        traceparent: formatTraceparent(trace),
      });
      const ms = performance.now() - started;
      if (slowCallMs > 0 && ms >= slowCallMs) callLogger.info({ code: 'OK', ms: Math.round(ms), peer: context.peer }, 'slow grpc call');
      else if (logger.isLevelEnabled('debug')) callLogger.debug({ code: 'OK', ms: Math.round(ms) }, 'grpc call');
      return result;
    } catch (err) {
      const code = statusName(err);
      const fields = { code, ms: Math.round(performance.now() - started), peer: context.peer };
      if (serverFaults.has(code)) callLogger.error({ ...fields, details: (err as ServerError).details }, 'grpc call failed');
      else callLogger.info({ ...fields, details: (err as ServerError).details }, 'grpc call rejected');
      throw err;
    }
  };
}
