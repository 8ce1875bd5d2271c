import { loadConfig, logConfig, portVariable } from '@core/platform';
import { z } from 'zod';

const schema = z.object({
  ...logConfig,
  /** HTTP port of the subgraph (4001 by convention). */
  PORT: portVariable(4001),
  HOST: z.string().default('0.0.0.0'),
  /** Where the master-data gRPC service listens; `dns:///svc-headless:50051` spreads over replicas. */
  MASTERDATA_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50051'),
});

/** The subgraph's settings, validated once at start. */
export type MasterDataSubgraphConfig = z.infer<typeof schema>;

/** Reads and validates the environment (the only place this package reads it). */
export function loadMasterDataSubgraphConfig(env: NodeJS.ProcessEnv = process.env): MasterDataSubgraphConfig {
  return loadConfig(schema, env);
}
