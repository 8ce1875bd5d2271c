import { type AuthConfig, authConfig, ConfigError, loadConfig, logConfig, portVariable, redisConfig } from '@core/platform';
import type { StorageConfig } from '@core/platform/storage';
import { z } from 'zod';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';
import { uploadConfig } from './uploads.js';

/** A non-negative integer variable with a default. */
const count = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
/** A positive integer variable with a default. */
const positive = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** `https://app.example.com, http://localhost:5173` or `*`: exact origins, no paths. */
const corsOrigins = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  )
  .pipe(z.array(z.union([z.literal('*'), z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin is scheme://host[:port] with no path')])));

const schema = z.object({
  ...logConfig,
  /** HTTP port of the gateway (4000 by convention). */
  PORT: portVariable(4000),
  HOST: z.string().default('0.0.0.0'),
  /** The committed, composed supergraph the gateway serves. */
  SUPERGRAPH_PATH: z.string().min(1).default('federation-gateway/supergraph.graphql'),
  NODE_ENV: z.string().default('development'),
  /** Who signs the bearer tokens the gateway verifies (identity's JWKS; optionally an OIDC issuer). */
  ...authConfig,
  /** `POST /uploads`: storage adapter (local directory or S3-compatible) and the largest file. */
  ...uploadConfig,
  ...redisConfig,
  /** Prefix of the gateway's Redis keys (rate-limit counters, persisted queries). */
  GATEWAY_REDIS_PREFIX: z.string().min(1).default('gateway:'),
  /** Requests per minute per client (verified subject, else address); 0 turns limiting off. */
  RATE_LIMIT_PER_MINUTE: count(60),
  /** Proxies in front that append to X-Forwarded-For (0: trust no X-Forwarded-For). */
  TRUST_PROXY: count(0),
  /** Comma-separated browser origins allowed by CORS (empty: none). */
  CORS_ORIGINS: corsOrigins,
  /** Largest request body in bytes (413 beyond). */
  MAX_BODY_BYTES: positive(1024 * 1024),
  MAX_QUERY_DEPTH: positive(DEFAULT_QUERY_LIMITS.maxDepth),
  MAX_QUERY_ALIASES: count(DEFAULT_QUERY_LIMITS.maxAliases),
  MAX_QUERY_COST: positive(DEFAULT_QUERY_LIMITS.maxCost),
  MAX_QUERY_DIRECTIVES: count(DEFAULT_QUERY_LIMITS.maxDirectives),
  MAX_QUERY_TOKENS: positive(DEFAULT_QUERY_LIMITS.maxTokens),
  /** How long a registered persisted query (APQ) is kept, in seconds. */
  APQ_TTL_SECONDS: positive(86_400),
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
  /** Shared store of rate-limit counters and persisted queries; in-process when absent. */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** 0 turns rate limiting off. */
  rateLimitPerMinute: number;
  trustProxyHops: number;
  corsOrigins: string[];
  maxBodyBytes: number;
  limits: QueryLimits;
  apqTtlSeconds: number;
  /** Trusted token issuers (AUTH_*, OIDC_*). */
  auth: AuthConfig;
  /** Where uploads are stored, and the largest accepted file. */
  uploads: StorageConfig & { UPLOAD_MAX_BYTES: number };
}

/** Reads and validates the environment (the only place this package reads it). */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = loadConfig(schema, env);
  // The gateway verifies every bearer token itself: without identity's keys it cannot start.
  if (!parsed.AUTH_JWKS_URL) {
    throw new ConfigError([{ variable: 'AUTH_JWKS_URL', problem: "required: identity's JWKS, e.g. http://identity:9465/.well-known/jwks.json" }]);
  }
  const subgraphUrls = subgraphUrlOverrides(env);
  return {
    logLevel: parsed.LOG_LEVEL,
    port: parsed.PORT,
    host: parsed.HOST,
    supergraphPath: parsed.SUPERGRAPH_PATH,
    introspection: parsed.NODE_ENV !== 'production',
    subgraphUrls,
    redisUrl: parsed.REDIS_URL,
    redisKeyPrefix: parsed.GATEWAY_REDIS_PREFIX,
    rateLimitPerMinute: parsed.RATE_LIMIT_PER_MINUTE,
    trustProxyHops: parsed.TRUST_PROXY,
    corsOrigins: parsed.CORS_ORIGINS,
    maxBodyBytes: parsed.MAX_BODY_BYTES,
    limits: {
      maxDepth: parsed.MAX_QUERY_DEPTH,
      maxAliases: parsed.MAX_QUERY_ALIASES,
      maxCost: parsed.MAX_QUERY_COST,
      maxDirectives: parsed.MAX_QUERY_DIRECTIVES,
      maxTokens: parsed.MAX_QUERY_TOKENS,
    },
    apqTtlSeconds: parsed.APQ_TTL_SECONDS,
    auth: {
      AUTH_ISSUER: parsed.AUTH_ISSUER,
      AUTH_AUDIENCE: parsed.AUTH_AUDIENCE,
      AUTH_JWKS_URL: parsed.AUTH_JWKS_URL,
      OIDC_ISSUER: parsed.OIDC_ISSUER,
      OIDC_AUDIENCE: parsed.OIDC_AUDIENCE,
      OIDC_JWKS_URL: parsed.OIDC_JWKS_URL,
      OIDC_ALGORITHMS: parsed.OIDC_ALGORITHMS,
      OIDC_ROLES_CLAIM: parsed.OIDC_ROLES_CLAIM,
    },
    uploads: Object.fromEntries(Object.keys(uploadConfig).map((key) => [key, parsed[key as keyof typeof parsed]])) as GatewayConfig['uploads'],
  };
}
