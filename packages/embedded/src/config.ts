import { resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '@core/platform';

const schema = z.object({
  MESH_DATA_DIR: z.string().default('.data'),
  MESH_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  MASTERDATA_SUBGRAPH_PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  MASTERDATA_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50051),
  MASTERDATA_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  IDENTITY_SUBGRAPH_PORT: z.coerce.number().int().min(0).max(65535).default(4002),
  IDENTITY_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50052),
  /** The identity service's HTTP port (JWKS and metrics); 0 picks a free one. */
  IDENTITY_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  SUPERGRAPH_PATH: z.string().default('federation-gateway/supergraph.graphql'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export interface EmbeddedConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly gatewayPort: number;
  readonly masterDataSubgraphPort: number;
  readonly masterDataGrpcPort: number;
  readonly masterDataMetricsPort: number;
  readonly identitySubgraphPort: number;
  readonly identityGrpcPort: number;
  readonly identityHttpPort: number;
  readonly supergraphPath: string;
  readonly logLevel: string;
}

/** The only place the embedded runner reads the environment. Every setting has a laptop default. */
export function loadEmbeddedConfig(env: NodeJS.ProcessEnv = process.env): EmbeddedConfig {
  const parsed = loadConfig(schema, env);
  return {
    dataDir: resolve(parsed.MESH_DATA_DIR),
    host: parsed.MESH_HOST,
    gatewayPort: parsed.GATEWAY_PORT,
    masterDataSubgraphPort: parsed.MASTERDATA_SUBGRAPH_PORT,
    masterDataGrpcPort: parsed.MASTERDATA_GRPC_PORT,
    masterDataMetricsPort: parsed.MASTERDATA_METRICS_PORT,
    identitySubgraphPort: parsed.IDENTITY_SUBGRAPH_PORT,
    identityGrpcPort: parsed.IDENTITY_GRPC_PORT,
    identityHttpPort: parsed.IDENTITY_HTTP_PORT,
    supergraphPath: resolve(parsed.SUPERGRAPH_PATH),
    logLevel: parsed.LOG_LEVEL,
  };
}
