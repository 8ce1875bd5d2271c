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
});

/**
 * `SUBGRAPH_<NAME>_URL` overrides the routing URL the supergraph records for subgraph `<name>`
 * (lower case), e.g. SUBGRAPH_MASTERDATA_URL, SUBGRAPH_IDENTITY_URL. One rule for every subgraph,
 * so adding a subgraph needs no change here; a name the supergraph lacks stops the gateway at start.
 */
const SUBGRAPH_URL_VARIABLE = /^SUBGRAPH_([A-Z][A-Z0-9_]*)_URL$/;

function subgraphUrlOverrides(env: NodeJS.ProcessEnv): Record<string, string> {
  const variables: Record<string, z.ZodType<string>> = {};
  for (const name of Object.keys(env)) {
    if (SUBGRAPH_URL_VARIABLE.test(name)) variables[name] = z.url({ protocol: /^https?$/ });
  }
  const parsed = loadConfig(z.object(variables), env) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(parsed).map(([variable, url]) => [SUBGRAPH_URL_VARIABLE.exec(variable)![1]!.toLowerCase(), url]),
  );
}

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
  const subgraphUrls = subgraphUrlOverrides(env);
  return {
    logLevel: parsed.LOG_LEVEL,
    port: parsed.PORT,
    host: parsed.HOST,
    supergraphPath: parsed.SUPERGRAPH_PATH,
    introspection: parsed.NODE_ENV !== 'production',
    subgraphUrls,
  };
}
