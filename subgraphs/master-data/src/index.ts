export {
  createMasterDataSubgraph,
  masterDataTypeDefs,
  type MasterDataSubgraph,
  type MasterDataSubgraphOptions,
  schemaPath,
} from './subgraph.js';
export type { GrpcCallListener } from '@core/platform';
export { loadMasterDataSubgraphConfig, type MasterDataSubgraphConfig } from './config.js';
