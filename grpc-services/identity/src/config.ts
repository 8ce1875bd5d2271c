import {
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

const integer = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const schema = z
  .object({
    ...logConfig,
    NODE_ENV: z.string().default('development'),
    ...grpcConfig(50052),
    /** HTTP port of `/metrics` and `/.well-known/jwks.json`; 0 picks a free port (never disabled: verifiers need the JWKS). */
    ...metricsConfig(9465),
    DATABASE_URL: databaseConfig.DATABASE_URL.default('pglite:.data/identity'),
    ...pagingConfig,
    /** Optional: announces access-token revocations (disabled accounts, reset passwords) to every verifier. */
    ...redisConfig,
    /** `iss` of every token issued, checked on verification. */
    IDENTITY_ISSUER: z.string().min(1).default('core-identity'),
    /** `aud` of every token issued, checked on verification: the mesh as a whole. */
    IDENTITY_AUDIENCE: z.string().min(1).default('core-mesh'),
    /** Ed25519 private key (PKCS#8 PEM text, or a path to a PEM file such as a mounted Secret). */
    IDENTITY_SIGNING_KEY: optionalText(),
    /**
     * Key rotation: comma-separated paths to the previous keys' PEM files (public or private), still
     * published in the JWKS so tokens they signed verify until they expire.
     */
    IDENTITY_PREVIOUS_SIGNING_KEYS: z
      .string()
      .default('')
      .transform((text) =>
        text
          .split(',')
          .map((path) => path.trim())
          .filter((path) => path !== ''),
      ),
    /** Where the embedded mode generates and keeps its key when IDENTITY_SIGNING_KEY is unset. */
    IDENTITY_KEY_DIR: z.string().min(1).default('.data/identity-keys'),
    IDENTITY_ACCESS_TOKEN_MINUTES: integer(1, 60, 15),
    IDENTITY_REFRESH_TOKEN_DAYS: integer(1, 90, 7),
    /** Failed logins within the window after which an account locks. */
    IDENTITY_MAX_FAILED_LOGINS: integer(1, 1000, 10),
    IDENTITY_FAILED_LOGIN_WINDOW_MINUTES: integer(1, 24 * 60, 60),
    IDENTITY_LOCK_MINUTES: integer(1, 24 * 60, 15),
    /** argon2id memory cost in KiB; the default is OWASP's 19 MiB with 2 passes. */
    IDENTITY_ARGON2_MEMORY_KIB: integer(1024, 1024 * 1024, 19_456),
    IDENTITY_ARGON2_TIME_COST: integer(1, 10, 2),
    /** Creates one demo account per role (embedded and demo installations only). */
    IDENTITY_SEED_DEMO: flag(false),
    /**
     * First administrator of an installation: a username created with the admin role and
     * IDENTITY_BOOTSTRAP_ADMIN_PASSWORD when no account has that name (never changed afterwards).
     */
    IDENTITY_BOOTSTRAP_ADMIN: optionalText().pipe(
      z.union([z.undefined(), z.string().regex(/^[a-z][a-z0-9._-]{2,63}$/, 'lowercase, starts with a letter, 3 to 64 of a-z 0-9 . _ -')]),
    ),
    IDENTITY_BOOTSTRAP_ADMIN_PASSWORD: optionalText().pipe(z.union([z.undefined(), z.string().min(10, 'at least 10 characters').max(256)])),
    /** When expired login attempts and refresh tokens are purged (cron, Asia/Jakarta). */
    IDENTITY_PURGE_SCHEDULE: z.string().min(1).default('17 3 * * *'),
    /** How long login attempts are kept (the lockout needs only the last window). */
    IDENTITY_LOGIN_ATTEMPT_RETENTION_DAYS: integer(2, 3650, 30),
  })
  .superRefine((config, ctx) => {
    if ((config.IDENTITY_BOOTSTRAP_ADMIN === undefined) !== (config.IDENTITY_BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['IDENTITY_BOOTSTRAP_ADMIN_PASSWORD'], message: 'IDENTITY_BOOTSTRAP_ADMIN and its password are set together' });
    }
    if (config.NODE_ENV !== 'production') return;
    // Every replica must sign with the same mounted key; a generated one would differ per pod.
    if (!config.IDENTITY_SIGNING_KEY) {
      ctx.addIssue({ code: 'custom', path: ['IDENTITY_SIGNING_KEY'], message: 'required when NODE_ENV=production' });
    }
    if (config.IDENTITY_SEED_DEMO) {
      ctx.addIssue({ code: 'custom', path: ['IDENTITY_SEED_DEMO'], message: 'demo accounts are refused when NODE_ENV=production' });
    }
  });

/** The identity service's settings, validated once at start. */
export type IdentityConfig = z.infer<typeof schema>;

/**
 * Reads and validates the environment (the only place this service reads it). Throws a
 * ConfigError naming every bad variable, so a misconfigured replica fails at start.
 */
export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  return loadConfig(schema, env);
}
