import { AuditServiceDefinition } from '@core/contracts/audit/v1';
import { IdentityServiceDefinition } from '@core/contracts/identity/v1';
import { protoDescriptorSet } from '@core/contracts';
import {
  createBearerAuthenticator,
  createGrpcServer,
  createMemoryRevocationList,
  createRedis,
  createRedisRevocationList,
  createRedisLock,
  createMemoryLock,
  createScheduler,
  createTokenVerifier,
  MESH_TOKEN_ALGORITHMS,
  SERVICE_SUBJECT_PREFIX,
  type JSONWebKeySet,
  type RevocationList,
  createLogger,
  createMetrics,
  createShutdown,
  initORM,
  setPageTokenSecret,
  startHttpServer,
  type Logger,
  type Metrics,
} from '@core/platform';
import { auditServiceImpl } from '@core/platform/audit';
import type { MikroORM } from '@mikro-orm/core';
import { Counter } from 'prom-client';
import { createAccessTokenIssuer } from './auth/access-tokens.js';
import { createPasswordHasher } from './auth/passwords.js';
import { createSessions } from './auth/sessions.js';
import { loadSigningKey, type SigningKey } from './auth/signing-key.js';
import type { IdentityConfig } from './config.js';
import { seedDemoAccounts } from './data/demo-seed.js';
import { identityEntities } from './data/identity.entities.js';
import { createLoginAttemptStore } from './data/login-attempt.store.js';
import { createRefreshTokenStore } from './data/refresh-token.store.js';
import { createServiceClientStore } from './data/service-client.store.js';
import { createUserStore } from './data/user.store.js';
import { isUserId } from './domain/user.rules.js';
import { createIdentityHandlers } from './handlers/identity.handlers.js';
import { bootstrapAdmin, schedulePurge } from './jobs/maintenance.js';
import { migrations } from './migrations/index.js';

/** Path of the public key set on the HTTP port (the conventional OIDC location). */
export const JWKS_PATH = '/.well-known/jwks.json';
/** Verifiers may cache the JWKS this long; key rotation must publish the new key at least this early. */
const JWKS_MAX_AGE_SECONDS = 300;

/** A started identity service. */
export interface IdentityService {
  /** `host:port` the gRPC server is bound to. */
  readonly address: string;
  readonly port: number;
  /** Port of `/metrics` and `/.well-known/jwks.json`. */
  readonly httpPort: number;
  /** Where verifiers fetch the public keys. */
  readonly jwksUrl: string;
  /** The public keys themselves, for verifiers in the same process (embedded mode, tests). */
  readonly jwks: JSONWebKeySet;
  /** `iss` of issued tokens. */
  readonly issuer: string;
  /** `aud` of issued tokens. */
  readonly audience: string;
  readonly orm: MikroORM;
  /** How many demo accounts this start created (0 unless IDENTITY_SEED_DEMO). */
  readonly demoAccountsCreated: number;
  /** Stops serving and closes the database. */
  stop(): Promise<void>;
}

/** Options of {@link startIdentityService}. */
export interface StartIdentityOptions {
  config: IdentityConfig;
  logger?: Logger;
  /** Time source for token lifetimes and lockout (tests move it instead of sleeping). */
  clock?: () => Date;
  /**
   * Where revocations of live access tokens are announced to every verifier. Default: Redis when
   * REDIS_URL is set, else an in-process list (the embedded mode passes the one its verifiers share).
   */
  revocations?: RevocationList;
}

function httpHandler(metrics: Metrics, key: SigningKey) {
  const jwksBody = JSON.stringify(key.jwks);
  return async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === JWKS_PATH) {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` })
        .end(jwksBody);
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
}

/**
 * Composes and starts the service: signing key, migrations, demo seed (when configured), the
 * gRPC server (IdentityService and the audit log's AuditService with the service's own token
 * verification on the auth seam, health, reflection) and the HTTP port serving the JWKS and metrics.
 */
export async function startIdentityService(options: StartIdentityOptions): Promise<IdentityService> {
  const { config } = options;
  const logger = options.logger ?? createLogger('identity', { level: config.LOG_LEVEL });
  const clock = options.clock ?? (() => new Date());
  setPageTokenSecret(config.PAGE_TOKEN_SECRET);
  const metrics = createMetrics();
  const logins = new Counter({
    name: 'identity_logins_total',
    help: 'Login attempts by outcome (succeeded, failed, unknown, locked, disabled)',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
  });
  // Everything started below stops in reverse order, each step bounded, failures logged.
  const stopping = createShutdown(logger, { timeoutMs: 15_000 });
  const closeAll = () => stopping.run();

  try {
    const key = await loadSigningKey({
      signingKey: config.IDENTITY_SIGNING_KEY,
      keyDir: config.IDENTITY_KEY_DIR,
      previousKeys: config.IDENTITY_PREVIOUS_SIGNING_KEYS,
      logger,
    });
    const orm = await initORM({ url: config.DATABASE_URL, entities: identityEntities, migrations, logger });
    stopping.add('database', () => orm.close());

    const passwords = await createPasswordHasher({ memoryKib: config.IDENTITY_ARGON2_MEMORY_KIB, timeCost: config.IDENTITY_ARGON2_TIME_COST });
    const users = createUserStore(orm);
    const clients = createServiceClientStore(orm);
    const refreshTokens = createRefreshTokenStore(orm, config.IDENTITY_REFRESH_TOKEN_DAYS * 86_400_000);
    const attempts = createLoginAttemptStore(orm, {
      maxFailures: config.IDENTITY_MAX_FAILED_LOGINS,
      windowMs: config.IDENTITY_FAILED_LOGIN_WINDOW_MINUTES * 60_000,
      lockMs: config.IDENTITY_LOCK_MINUTES * 60_000,
    });
    const tokenSettings = {
      key,
      issuer: config.IDENTITY_ISSUER,
      audience: config.IDENTITY_AUDIENCE,
      ttlSeconds: config.IDENTITY_ACCESS_TOKEN_MINUTES * 60,
      clock,
    };
    const sessions = createSessions({
      users,
      attempts,
      refreshTokens,
      clients,
      passwords,
      accessTokens: createAccessTokenIssuer(tokenSettings),
      clock,
      logger,
      logins,
    });

    const demoAccountsCreated = config.IDENTITY_SEED_DEMO ? await seedDemoAccounts(users, passwords, clock(), logger) : 0;
    if (config.IDENTITY_BOOTSTRAP_ADMIN && config.IDENTITY_BOOTSTRAP_ADMIN_PASSWORD) {
      await bootstrapAdmin({ orm, users, passwords, clock, logger }, config.IDENTITY_BOOTSTRAP_ADMIN, config.IDENTITY_BOOTSTRAP_ADMIN_PASSWORD);
    }

    const http = await startHttpServer(httpHandler(metrics, key), config.METRICS_PORT, config.GRPC_HOST, { logger });
    stopping.add('http server', () => http.close());

    const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, logger) : undefined;
    if (redis) stopping.add('redis', async () => redis.disconnect());
    let revocations = options.revocations;
    if (!revocations && redis) {
      revocations = await createRedisRevocationList({ redis, logger });
      stopping.add('revocation list', () => revocations!.close());
    }
    revocations ??= createMemoryRevocationList();

    // Housekeeping, one replica per tick: expired login attempts and refresh tokens.
    const scheduler = createScheduler({ lock: redis ? createRedisLock(redis, { prefix: 'identity:lock:' }) : createMemoryLock(), logger, metrics });
    schedulePurge(
      scheduler,
      config.IDENTITY_PURGE_SCHEDULE,
      {
        attempts,
        refreshTokens,
        clock,
        loginAttemptRetentionMs: config.IDENTITY_LOGIN_ATTEMPT_RETENTION_DAYS * 86_400_000,
        refreshTokenGraceMs: 86_400_000,
      },
      logger,
    );
    stopping.add('scheduler', () => scheduler.stop());
    // The platform's verifier with the service's own key: the same checks as every other hop,
    // plus the accounts table (a disabled user or client is refused at once here).
    const authenticator = createBearerAuthenticator({
      verifier: createTokenVerifier({
        issuers: [{ issuer: config.IDENTITY_ISSUER, audience: config.IDENTITY_AUDIENCE, algorithms: [...MESH_TOKEN_ALGORITHMS], jwks: key.jwks }],
        revocations,
        clock,
        clockToleranceSeconds: 0,
      }),
      logger,
      metrics,
      isActive: (caller) =>
        caller.subject.startsWith(SERVICE_SUBJECT_PREFIX)
          ? clients.isActive(caller.subject.slice(SERVICE_SUBJECT_PREFIX.length))
          : isUserId(caller.subject)
            ? users.statusOf(caller.subject.toLowerCase()).then((status) => status === 'active')
            : Promise.resolve(false),
    });
    const server = createGrpcServer({
      name: 'identity',
      logger,
      metrics,
      authenticate: authenticator.authenticate,
      descriptorSet: protoDescriptorSet(),
    });
    const handlers = createIdentityHandlers({
      orm,
      sessions,
      users,
      clients,
      refreshTokens,
      passwords,
      key,
      clock,
      revocations,
    });
    server.add(IdentityServiceDefinition, handlers);
    server.add(AuditServiceDefinition, auditServiceImpl(orm));
    const port = await server.listen(`${config.GRPC_HOST}:${config.GRPC_PORT}`);
    stopping.add('grpc server', () => server.shutdown());

    const host = config.GRPC_HOST === '0.0.0.0' || config.GRPC_HOST === '::' ? '127.0.0.1' : config.GRPC_HOST;
    return {
      address: `${host}:${port}`,
      port,
      httpPort: http.port,
      jwksUrl: `http://${host}:${http.port}${JWKS_PATH}`,
      jwks: key.jwks,
      issuer: config.IDENTITY_ISSUER,
      audience: config.IDENTITY_AUDIENCE,
      orm,
      demoAccountsCreated,
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
