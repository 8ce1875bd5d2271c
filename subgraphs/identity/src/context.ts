import { bindClient, type GrpcCallListener, type Logger, metadataFromHttpHeaders } from '@core/platform';
import type { IdentityChannel, IdentityClient } from './grpc.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives: the request-bound client and the request's loaders. */
export interface IdentityContext {
  readonly identity: IdentityClient;
  readonly loaders: Loaders;
  readonly logger: Logger;
}

/**
 * Builds the context of one GraphQL request. The caller's `authorization` header travels with every
 * call, so the identity service alone decides what the caller may see; loaders live exactly as long
 * as the request so no caller ever sees another caller's cached users.
 */
export function createRequestContext(
  channel: IdentityChannel,
  headers: Record<string, string | string[] | undefined>,
  logger: Logger,
  onCall: GrpcCallListener,
): IdentityContext {
  const identity = bindClient(channel.identity, 'IdentityService', metadataFromHttpHeaders(headers), onCall);
  return { identity, loaders: createLoaders(identity), logger };
}
