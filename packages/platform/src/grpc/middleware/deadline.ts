import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc';
import { TIMEOUT_HEADER } from '../trace.js';

/** Context added by {@link serverDeadlineMiddleware}. */
export interface DeadlineContext {
  /** When the caller stops waiting; undefined when it set no deadline. Pass it on to downstream calls. */
  deadline?: Date;
}

/**
 * Reads the caller's remaining budget and rejects a call whose deadline has already passed
 * (e.g. it queued behind others), instead of doing work nobody will receive. grpc-js itself
 * cancels the call when `grpc-timeout` elapses, which aborts `context.signal`.
 */
export async function* serverDeadlineMiddleware<Req, Res>(
  call: ServerMiddlewareCall<Req, Res, DeadlineContext>,
  context: CallContext,
) {
  const header = context.metadata.get(TIMEOUT_HEADER);
  const remainingMs = header === undefined ? undefined : Number(header);
  if (remainingMs !== undefined && Number.isFinite(remainingMs) && remainingMs <= 0) {
    throw new ServerError(Status.DEADLINE_EXCEEDED, 'deadline exceeded before the call started');
  }
  const deadline =
    remainingMs !== undefined && Number.isFinite(remainingMs) ? new Date(Date.now() + remainingMs) : undefined;
  return yield* call.next(call.request, { ...context, deadline });
}
