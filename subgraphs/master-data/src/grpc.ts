import {
  MasterDataServiceDefinition,
  type MasterDataServiceClient,
  SyncServiceDefinition,
  type SyncServiceClient,
} from '@core/contracts/masterdata/v1';
import { createGrpcClient, type GrpcCallOptions } from '@core/platform';


/** The master-data read client as resolvers use it. */
export type MasterDataClient = MasterDataServiceClient<GrpcCallOptions>;
/** The sync operations client as resolvers use it. */
export type SyncClient = SyncServiceClient<GrpcCallOptions>;

/** The long-lived channels to the master-data service; one per subgraph process. */
export interface MasterDataChannels {
  readonly masterData: MasterDataClient;
  readonly sync: SyncClient;
  close(): void;
}

/** Opens both service clients on one address (deadlines, retries of reads and keepalive come from the platform). */
export function openMasterDataChannels(address: string): MasterDataChannels {
  const masterData = createGrpcClient(MasterDataServiceDefinition, address);
  const sync = createGrpcClient(SyncServiceDefinition, address);
  return {
    masterData: masterData.client as MasterDataClient,
    sync: sync.client as SyncClient,
    close() {
      masterData.close();
      sync.close();
    },
  };
}

