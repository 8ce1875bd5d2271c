import { loadConfig, logConfig, portVariable } from '@core/platform';
import { z } from 'zod';

const schema = z.object({
  ...logConfig,
  /** HTTP port of the gateway (4000 by convention). */
  PORT: portVariable(4000),
  HOST: z.string().default('0.0.0.0'),
  /** The committed, composed supergraph the gateway serves. */
  SUPERGRAPH_PATH: z.string().min(1).default('federation-gateway/supergraph.graphql'),
  NODE_ENV: z.string().default('development'),
  /** Routing URL of the master-data subgraph; absent ⇒ the URL recorded in the supergraph. */
  SUBGRAPH_MASTERDATA_URL: z.url().optional(),
});

/** The gateway's settings, validated once at start. */
export interface GatewayConfig {
  logLevel: string;
  port: number;
  host: string;
  supergraphPath: string;
  /** Introspection and the landing page are for development only. */
  introspection: boolean;
  /** Subgraph routing URL overrides by subgraph name, from `SUBGRAPH_<NAME>_URL`. */
  subgraphUrls: Record<string, string>;
}

/** Reads and validates the environment (the only place this package reads it). */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = loadConfig(schema, env);
  const subgraphUrls: Record<string, string> = {};
  if (parsed.SUBGRAPH_MASTERDATA_URL) subgraphUrls.masterdata = parsed.SUBGRAPH_MASTERDATA_URL;
  return {
    logLevel: parsed.LOG_LEVEL,
    port: parsed.PORT,
    host: parsed.HOST,
    supergraphPath: parsed.SUPERGRAPH_PATH,
    introspection: parsed.NODE_ENV !== 'production',
    subgraphUrls,
  };
}
