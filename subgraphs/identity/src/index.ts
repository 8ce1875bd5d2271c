/** @core/identity-subgraph: users, sign-in and tokens as a Federation 2 subgraph over the identity gRPC service. */
export {
  createIdentitySubgraph,
  identityTypeDefs,
  type IdentitySubgraph,
  type IdentitySubgraphOptions,
  schemaPath,
} from './subgraph.js';
export type { GrpcCallListener } from '@core/platform';
export { loadIdentitySubgraphConfig, type IdentitySubgraphConfig } from './config.js';
export type { AuditSource } from './audit/audit-log.js';
