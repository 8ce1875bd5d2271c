import { bindClient, type GrpcCallListener, type Logger, metadataFromHttpHeaders } from '@core/platform';
import type { MasterDataChannels, MasterDataClient, SyncClient } from './grpc.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives: request-bound clients and the request's loaders. */
export interface MasterDataContext {
  readonly masterData: MasterDataClient;
  readonly sync: SyncClient;
  readonly loaders: Loaders;
  readonly logger: Logger;
}

/**
 * Builds the context of one GraphQL request. Loaders live exactly as long as the request so
 * batching spans one query plan step and no caller ever sees another caller's cached rows.
 */
export function createRequestContext(
  channels: MasterDataChannels,
  headers: Record<string, string | string[] | undefined>,
  logger: Logger,
  onCall: GrpcCallListener,
): MasterDataContext {
  const metadata = metadataFromHttpHeaders(headers);
  const masterData = bindClient(channels.masterData, 'MasterDataService', metadata, onCall);
  const sync = bindClient(channels.sync, 'SyncService', metadata, onCall);
  return { masterData, sync, loaders: createLoaders(masterData), logger };
}
