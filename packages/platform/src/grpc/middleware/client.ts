import { Metadata, Status, type CallOptions, type ClientMiddlewareCall } from 'nice-grpc';
import type { DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import type { RetryOptions } from 'nice-grpc-client-middleware-retry';
import type { Logger } from '../../logger.js';
import { TIMEOUT_HEADER } from '../trace.js';

/** Absolute deadline handed from the outermost to the innermost client middleware. */
export interface DeadlineAtOption {
  deadlineAt?: Date;
}

/** Defaults applied to every call of a client made by `createGrpcClient`. */
export interface ClientCallDefaults {
  deadlineMs: number;
  retries: number;
  metadata?: () => Metadata | undefined;
  logger?: Logger;
}

function merge(base: Metadata | undefined, override: Metadata | undefined): Metadata | undefined {
  if (!base) return override;
  if (!override) return base;
  const merged = Metadata(base);
  for (const [key, values] of override) merged.set(key, values as string[]);
  return merged;
}

/**
 * Outermost client middleware: applies the client's default deadline and retry policy and the
 * per-call propagation metadata, and pins the deadline as an absolute time so every retry attempt
 * tells the server the time that is really left.
 */
export function clientDefaultsMiddleware(defaults: ClientCallDefaults) {
  return async function* clientDefaults<Req, Res>(
    call: ClientMiddlewareCall<Req, Res, DeadlineOptions & RetryOptions & DeadlineAtOption>,
    options: CallOptions & DeadlineOptions & RetryOptions,
  ) {
    const requested =
      options.deadline ?? (defaults.deadlineMs > 0 && Number.isFinite(defaults.deadlineMs) ? defaults.deadlineMs : undefined);
    const deadlineAt =
      requested === undefined ? undefined : requested instanceof Date ? requested : new Date(Date.now() + requested);
    return yield* call.next(call.request, {
      ...options,
      metadata: merge(defaults.metadata?.(), options.metadata),
      deadline: deadlineAt,
      deadlineAt,
      // Only UNAVAILABLE means "the call did not reach a handler"; INTERNAL or UNKNOWN may follow
      // a partly applied change, and the retry middleware already limits retries to idempotent methods.
      retryMaxAttempts: options.retryMaxAttempts ?? defaults.retries,
      retryableStatuses: options.retryableStatuses ?? [Status.UNAVAILABLE],
      retryBaseDelayMs: options.retryBaseDelayMs ?? 50,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 1_000,
      onRetryableError:
        options.onRetryableError ??
        ((error, attempt, delayMs) =>
          defaults.logger?.warn({ method: call.method.path, code: Status[error.code], attempt, delayMs }, 'retrying gRPC call')),
    });
  };
}

/** grpc-timeout allows at most 8 digits. */
const MAX_TIMEOUT_MS = 99_999_999;

/**
 * Innermost before the transport: sends the remaining budget on each attempt as `grpc-timeout`
 * (grpc-js on the server cancels the call when it elapses) and as `core-timeout-ms`, which the
 * server's deadline middleware exposes to handlers for propagation.
 */
export async function* timeoutHeaderMiddleware<Req, Res>(
  call: ClientMiddlewareCall<Req, Res>,
  options: CallOptions & DeadlineAtOption,
) {
  const { deadlineAt, ...rest } = options;
  if (!deadlineAt) return yield* call.next(call.request, rest);
  const remaining = Math.min(MAX_TIMEOUT_MS, Math.max(0, deadlineAt.getTime() - Date.now()));
  const metadata = Metadata(rest.metadata);
  metadata.set('grpc-timeout', `${remaining}m`);
  metadata.set(TIMEOUT_HEADER, String(remaining));
  return yield* call.next(call.request, { ...rest, metadata });
}
