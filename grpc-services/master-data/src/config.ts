import {
  authConfig,
  databaseConfig,
  grpcConfig,
  loadConfig,
  logConfig,
  metricsConfig,
  pagingConfig,
  redisConfig,
} from '@core/platform';
import { z } from 'zod';

/** Environment booleans: 'true'/'false' (also 1/0, yes/no), since z.coerce.boolean('false') is true. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v));

const schema = z
  .object({
    ...logConfig,
    ...grpcConfig(50051),
    ...metricsConfig(9464),
    DATABASE_URL: databaseConfig.DATABASE_URL.default('pglite:.data/master-data'),
    ...redisConfig,
    /** Who is trusted to sign the bearer tokens every call carries (identity's JWKS, optional OIDC). */
    ...authConfig,
    /** Namespace of this service's Redis keys (cache entries and locks); lets tests and benchmarks share a Redis. */
    CACHE_PREFIX: z.string().default(''),
    ...pagingConfig,
    /** Where master data comes from: the bundled fixture (embedded, tests) or Oracle EBS. */
    MASTERDATA_SOURCE: z.enum(['fixture', 'oracle']).default('fixture'),
    ORACLE_USER: optionalText(),
    ORACLE_PASSWORD: optionalText(),
    ORACLE_CONNECT_STRING: optionalText(),
    /** Oracle Instant Client directory: enables Thick mode, needed for Oracle 11g. */
    ORACLE_CLIENT_LIB_DIR: optionalText(),
    ORACLE_POOL_MAX: z.coerce.number().int().min(1).max(64).default(4),
    /** Incremental runs re-read this many seconds before the watermark (late-committing rows). */
    SYNC_OVERLAP_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
    SYNC_SCHEDULES_ENABLED: flag(true),
    /** Rows per source batch and per mirror statement. */
    SYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(1000),
  })
  .superRefine((config, ctx) => {
    if (config.MASTERDATA_SOURCE !== 'oracle') return;
    for (const variable of ['ORACLE_USER', 'ORACLE_PASSWORD', 'ORACLE_CONNECT_STRING'] as const) {
      if (!config[variable]) {
        ctx.addIssue({ code: 'custom', path: [variable], message: 'required when MASTERDATA_SOURCE=oracle' });
      }
    }
  });

/** The master-data service's settings, validated once at start. */
export type MasterDataConfig = z.infer<typeof schema>;

/**
 * Reads and validates the environment (the only place this service reads it). Throws a
 * ConfigError naming every bad variable, so a misconfigured replica fails at start.
 */
export function loadMasterDataConfig(env: NodeJS.ProcessEnv = process.env): MasterDataConfig {
  return loadConfig(schema, env);
}
