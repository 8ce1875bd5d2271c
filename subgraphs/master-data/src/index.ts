export {
  createMasterDataSubgraph,
  masterDataTypeDefs,
  type MasterDataSubgraph,
  type MasterDataSubgraphOptions,
  schemaPath,
} from './subgraph.js';
export type { GrpcCallListener } from './grpc.js';
export { loadMasterDataSubgraphConfig, type MasterDataSubgraphConfig } from './config.js';
