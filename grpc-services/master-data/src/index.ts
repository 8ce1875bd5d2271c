/**
 * @core/master-data-service: the Oracle EBS master-data mirror as a gRPC service. Used by the
 * deployable (`main.ts`), the embedded one-process start, the subgraph tests and the benchmarks.
 */
export { loadMasterDataConfig, type MasterDataConfig } from './config.js';
export {
  startMasterDataService,
  type InitialSyncReport,
  type MasterDataService,
  type StartMasterDataOptions,
} from './server.js';
export type { MasterDataSource, SourceRow, SourceValue } from './data/source.js';
export type { MirrorRecord, RecordStore } from './data/record-store.js';
export type { SyncRunner } from './jobs/sync.runner.js';
