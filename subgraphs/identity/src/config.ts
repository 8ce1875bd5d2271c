import { loadConfig, logConfig, portVariable } from '@core/platform';
import { z } from 'zod';

const schema = z.object({
  ...logConfig,
  /** HTTP port of the subgraph (4002 by convention). */
  PORT: portVariable(4002),
  HOST: z.string().default('0.0.0.0'),
  /** Where the identity gRPC service listens; `dns:///svc-headless:50052` spreads over replicas. */
  IDENTITY_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50052'),
});

/** The subgraph's settings, validated once at start. */
export type IdentitySubgraphConfig = z.infer<typeof schema>;

/** Reads and validates the environment (the only place this package reads it). */
export function loadIdentitySubgraphConfig(env: NodeJS.ProcessEnv = process.env): IdentitySubgraphConfig {
  return loadConfig(schema, env);
}
