import { ServerError, Status } from 'nice-grpc';

/** Context added by the server pipeline: the call's deadline. */
export interface DeadlineContext {
  /** When the caller stops waiting; undefined when it set no deadline. Pass it on to downstream calls. */
  deadline?: Date;
}

/**
 * The deadline of a call from its remaining budget (the `core-timeout-ms` header, see
 * TIMEOUT_HEADER), re-anchored at arrival. A call whose budget is already spent (e.g. it queued
 * behind others) fails with DEADLINE_EXCEEDED instead of doing work nobody will receive. grpc-js
 * itself cancels the call when `grpc-timeout` elapses, which aborts `context.signal`.
 */
export function callDeadline(remainingHeader: string | undefined): Date | undefined {
  if (remainingHeader === undefined) return undefined;
  const remainingMs = Number(remainingHeader);
  if (!Number.isFinite(remainingMs)) return undefined;
  if (remainingMs <= 0) throw new ServerError(Status.DEADLINE_EXCEEDED, 'deadline exceeded before the call started');
  return new Date(Date.now() + remainingMs);
}
