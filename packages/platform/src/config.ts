import { z } from 'zod';
import { DEV_PAGE_TOKEN_SECRET } from './paging.js';

/** Thrown by {@link loadConfig}; the message names every bad variable at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: { variable: string; problem: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.problem}`).join('; ')}`);
  }
}

/**
 * Parses the environment against a service's schema once, at start. A misconfigured replica must
 * fail fast and say everything that is wrong, instead of failing on the first request.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: issue.path.map(String).join('.') || '(env)', problem: issue.message })),
    );
  }
  return parsed.data;
}

/** Environment values are strings; an empty string means "unset" (common in k8s manifests). */
const optionalString = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** LOG_LEVEL: pino level. */
export const logConfig = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** DATABASE_URL: `postgres://…`, `pglite:<dir>` or `pglite:memory` (embedded, one-process mode). */
export const databaseConfig = {
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v) || /^pglite:.+/.test(v), {
      message: 'expected postgres://…, pglite:<dir> or pglite:memory',
    }),
};

/** REDIS_URL: optional; when absent the service uses in-process cache and lock adapters. */
export const redisConfig = {
  REDIS_URL: optionalString().pipe(
    z.union([z.undefined(), z.string().regex(/^rediss?:\/\//, 'expected redis://… or rediss://…')]),
  ),
};

/** A TCP port variable with a default (0 lets the OS pick, which tests use). */
export const portVariable = port;

/**
 * Spreadable as-is (`...grpcConfig`, GRPC_PORT 50051) or called with the service's conventional
 * port (`...grpcConfig(50052)`); both forms give GRPC_HOST default '0.0.0.0'.
 */
export const grpcConfig = Object.assign(
  (defaultPort: number) => ({ GRPC_HOST: z.string().default('0.0.0.0'), GRPC_PORT: port(defaultPort) }),
  { GRPC_HOST: z.string().default('0.0.0.0'), GRPC_PORT: port(50051) },
);

/** METRICS_PORT, spreadable as-is (default 9464) or called with another default. */
export const metricsConfig = Object.assign((defaultPort: number) => ({ METRICS_PORT: port(defaultPort) }), {
  METRICS_PORT: port(9464),
});

/**
 * PAGE_TOKEN_SECRET: HMAC key of page tokens, shared by all replicas of a service. The default is
 * for development only; production manifests set it from a Secret.
 */
export const pagingConfig = {
  PAGE_TOKEN_SECRET: z.string().min(16).default(DEV_PAGE_TOKEN_SECRET),
};
