import type { Metadata } from 'nice-grpc';
import { RichServerError, type ErrorDetails } from 'nice-grpc-error-details';
import * as errorDetails from 'nice-grpc-error-details/lib/ErrorDetails.js';
import type { Any } from 'nice-grpc-error-details/lib/proto/google/protobuf/any.js';
import { Status as RpcStatus } from 'nice-grpc-error-details/lib/proto/google/rpc/status.js';
import { toServerError } from '../../errors.js';
import type { Logger } from '../../logger.js';

// The encoder errorDetailsServerMiddleware uses; exported at runtime but missing from the
// package's type declarations.
const { encodeErrorDetails } = errorDetails as unknown as { encodeErrorDetails(details: ErrorDetails[]): Any[] };

/** The trailer grpc-js clients (nice-grpc-error-details, grpc-go's status.FromError) read rich details from. */
const DETAILS_TRAILER = 'grpc-status-details-bin';

/** What {@link toCallFailure} needs of a call. */
export interface FailingCall {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly trailer: Metadata;
}

/**
 * The one place a handler failure becomes a gRPC status (see `toServerError`), with its rich
 * details (ErrorInfo, BadRequest) in the `grpc-status-details-bin` trailer exactly as nice-grpc's
 * errorDetailsServerMiddleware writes them. A cancellation the client asked for stays an AbortError
 * (answered CANCELLED).
 */
export function toCallFailure(err: unknown, call: FailingCall): Error {
  if (err instanceof Error && err.name === 'AbortError' && call.signal.aborted) return err;
  const failure = toServerError(err, call.logger);
  if (failure instanceof RichServerError) {
    const status = RpcStatus.fromPartial({ code: failure.code, message: failure.details, details: encodeErrorDetails(failure.extra) });
    call.trailer.set(DETAILS_TRAILER, RpcStatus.encode(status).finish());
  }
  return failure;
}
