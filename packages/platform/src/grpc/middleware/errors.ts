import type { CallContext, ServerMiddlewareCall } from 'nice-grpc';
import { toServerError } from '../../errors.js';
import type { LoggingContext } from './logging.js';

/**
 * The one place a handler failure becomes a gRPC status (see `toServerError`). It sits inside the
 * error-details middleware, which encodes the rich details into the trailer.
 */
export async function* errorMappingMiddleware<Req, Res>(
  call: ServerMiddlewareCall<Req, Res>,
  context: CallContext & LoggingContext,
) {
  try {
    return yield* call.next(call.request, context);
  } catch (err) {
    if (err instanceof Error && err.name === 'AbortError' && context.signal.aborted) throw err;
    throw toServerError(err, context.logger);
  }
}
