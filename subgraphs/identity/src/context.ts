import { bindClient, type GrpcCallListener, type Logger, metadataFromHttpHeaders } from '@core/platform';
import type { AuditChannels, AuditSourceClient } from './audit/audit-log.js';
import type { IdentityChannel, IdentityClient } from './grpc.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives: the request-bound clients and the request's loaders. */
export interface IdentityContext {
  readonly identity: IdentityClient;
  /** The AuditService of every audit source, bound to this request. */
  readonly audit: readonly AuditSourceClient[];
  readonly loaders: Loaders;
  readonly logger: Logger;
}

/**
 * Builds the context of one GraphQL request. The caller's `authorization` header (and the client's
 * address and user agent, for audit) travels with every call, so the services alone decide what
 * the caller may see; loaders live exactly as long as the request so no caller ever sees another
 * caller's cached users.
 */
export function createRequestContext(
  channel: IdentityChannel,
  auditChannels: AuditChannels,
  headers: Record<string, string | string[] | undefined>,
  logger: Logger,
  onCall: GrpcCallListener,
): IdentityContext {
  const metadata = metadataFromHttpHeaders(headers);
  const identity = bindClient(channel.identity, 'IdentityService', metadata, onCall);
  return { identity, audit: auditChannels.bind(metadata, onCall), loaders: createLoaders(identity), logger };
}
