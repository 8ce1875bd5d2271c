export { createGateway, type Gateway, type GatewayCaller, type GatewayContext, type GatewayOptions } from './gateway.js';
export { type GatewayConfig, loadGatewayConfig } from './config.js';
export { createUploadHandler, type UploadHandlerOptions, uploadConfig } from './uploads.js';
export {
  breakingChanges,
  CompositionError,
  composeSupergraph,
  loadSupergraphConfig,
  type SubgraphEntry,
  subgraphsOf,
  supergraphConfigPath,
  supergraphPath,
} from './supergraph.js';
