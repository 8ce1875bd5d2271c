import { AuditServiceDefinition } from '@core/contracts/audit/v1';
import { MasterDataServiceDefinition, SyncServiceDefinition } from '@core/contracts/masterdata/v1';
import { protoDescriptorSet } from '@core/contracts';
import {
  createServiceAuthentication,
  createGrpcServer,
  createLogger,
  createMemoryCache,
  createMemoryLock,
  createMetrics,
  createRedis,
  createRedisCache,
  createRedisLock,
  createScheduler,
  createShutdown,
  createTieredCache,
  DomainError,
  initORM,
  redisReady,
  setPageTokenSecret,
  startMetricsServer,
  guardService,
  type Authenticator,
  type JSONWebKeySet,
  type Logger,
  type Redis,
  type RevocationList,
} from '@core/platform';
import { auditServiceImpl } from '@core/platform/audit';
import type { MikroORM } from '@mikro-orm/core';
import type { MasterDataConfig } from './config.js';
import { createFixtureSource } from './data/fixture/index.js';
import { mirrorEntities } from './data/mirror.entities.js';
import { createRecordStore, type RecordStore } from './data/record-store.js';
import type { MasterDataSource } from './data/source.js';
import { catalogue } from './domain/catalogue.js';
import type { EntityDef } from './domain/catalogue.types.js';
import { createMasterDataHandlers } from './handlers/masterdata.handlers.js';
import { createSyncHandlers } from './handlers/sync.handlers.js';
import { MASTERDATA_ACCESS, SYNC_ACCESS } from './handlers/access.js';
import { createSyncRunner, type SyncRunner } from './jobs/sync.runner.js';
import { registerSyncSchedules } from './jobs/sync.schedules.js';
import { migrations } from './migrations/index.js';

/** Entities loaded at once by the initial sync: enough to overlap source and mirror, gentle on Oracle. */
const BOOTSTRAP_CONCURRENCY = 2;
/** How long a start waits for Redis before going on without it. */
const REDIS_READY_TIMEOUT_MS = 5000;
/** In-process cache size when no Redis is configured (records are a few hundred bytes each). */
const MEMORY_CACHE_ENTRIES = 100_000;
/** In-process tier in front of Redis: entries (about 1 KB each with key and overhead). */
const LOCAL_CACHE_ENTRIES = 50_000;
/**
 * Longest a replica serves its own copy of an entry. Evictions reach replicas over pub/sub within
 * milliseconds, and a replica whose subscription dies (closed, or its heartbeat silent for 3 s)
 * stops serving copies; this is only the last-resort bound for a notice lost some other way. As
 * long as the negative-cache TTL, the staleness the service already accepts for absent keys.
 */
const LOCAL_CACHE_TTL_MS = 30_000;

/** What the initial sync of a start did. */
export interface InitialSyncReport {
  /** Entities that had never synced and now have (their first full run succeeded). */
  readonly entitiesSynced: number;
  /** Entities whose first run failed (recorded in the history; the schedules retry them). */
  readonly entitiesFailed: readonly string[];
  /** Entities another replica was syncing at the time. */
  readonly entitiesSkipped: readonly string[];
}

/** A started master-data service. */
export interface MasterDataService {
  /** `host:port` the gRPC server is bound to. */
  readonly address: string;
  readonly port: number;
  /** Port of the Prometheus endpoint; undefined when METRICS_PORT is 0. */
  readonly metricsPort: number | undefined;
  readonly orm: MikroORM;
  readonly source: MasterDataSource;
  readonly store: RecordStore;
  readonly sync: SyncRunner;
  /**
   * Resolves when the initial sync of never-synced entities has finished (at once when every
   * entity had synced before). The server answers meanwhile, from whatever is mirrored.
   */
  waitForInitialSync(): Promise<InitialSyncReport>;
  /** Stops serving, aborts running syncs, closes the source, database and Redis (if it opened it). */
  stop(): Promise<void>;
}

/** Options of {@link startMasterDataService}. */
export interface StartMasterDataOptions {
  config: MasterDataConfig;
  logger?: Logger;
  /** Overrides the source chosen by MASTERDATA_SOURCE (tests pass a fixture they control). */
  source?: MasterDataSource;
  /** A Redis connection to use instead of opening one from REDIS_URL; the caller keeps ownership. */
  redis?: Redis;
  /**
   * Token trust at hand instead of fetched: identity's public keys (embedded mode, tests) and the
   * revocation list the embedded identity announces on. Otherwise AUTH_JWKS_URL and Redis.
   */
  auth?: {
    jwks?: JSONWebKeySet;
    revocations?: RevocationList;
    /**
     * Replaces token verification. Only the benchmark that prices verification uses it, with an
     * authenticator that names a fixed caller; there is no configuration that switches it on.
     */
    authenticate?: Authenticator;
  };
}

async function openSource(config: MasterDataConfig, logger: Logger): Promise<MasterDataSource> {
  if (config.MASTERDATA_SOURCE === 'fixture') return createFixtureSource();
  // Loaded only when configured, so fixture mode never loads the Oracle driver.
  const { createOracleSource } = await import('./data/oracle/index.js');
  return createOracleSource({
    user: config.ORACLE_USER!,
    password: config.ORACLE_PASSWORD!,
    connectString: config.ORACLE_CONNECT_STRING!,
    clientLibDir: config.ORACLE_CLIENT_LIB_DIR,
    poolMax: config.ORACLE_POOL_MAX,
    logger,
  });
}

/** Entities the mirror has never synced successfully: a first start, or one interrupted before finishing. */
async function neverSynced(orm: MikroORM): Promise<EntityDef[]> {
  const rows = (await orm.em
    .getConnection()
    .execute('SELECT entity FROM md_sync_state WHERE last_success_at IS NOT NULL', [], 'all')) as Array<{ entity: string }>;
  const synced = new Set(rows.map((row) => row.entity));
  return catalogue.filter((entity) => !synced.has(entity.name));
}

/**
 * Full runs of the given entities, `BOOTSTRAP_CONCURRENCY` at a time. Failures are part of the
 * run history and the report; they never stop the service, whose schedules retry.
 */
async function initialSync(
  sync: SyncRunner,
  entities: readonly EntityDef[],
  signal: AbortSignal,
  logger: Logger,
): Promise<InitialSyncReport> {
  const queue = [...entities];
  let entitiesSynced = 0;
  const entitiesFailed: string[] = [];
  const entitiesSkipped: string[] = [];
  const worker = async () => {
    for (let entity = queue.shift(); entity && !signal.aborted; entity = queue.shift()) {
      try {
        const run = await sync.run(entity, { mode: 'full', trigger: 'bootstrap', triggeredBy: 'bootstrap', signal });
        if (run.status === 'succeeded') entitiesSynced += 1;
        else entitiesFailed.push(entity.name);
      } catch (err) {
        if (err instanceof DomainError && err.reason === 'SYNC_IN_PROGRESS') {
          entitiesSkipped.push(entity.name);
        } else {
          logger.error({ err, entity: entity.name }, 'initial sync of an entity failed');
          entitiesFailed.push(entity.name);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: BOOTSTRAP_CONCURRENCY }, worker));
  const report = { entitiesSynced, entitiesFailed, entitiesSkipped };
  if (entities.length > 0) logger.info(report, 'initial sync finished');
  return report;
}

/**
 * Composes and starts the service: migrations, cache and lock (Redis when configured, in-process
 * otherwise), source, record store, sync runner and schedules, gRPC server (MasterDataService,
 * SyncService, the audit log's AuditService, health, reflection) and the metrics endpoint. Resolves
 * once the gRPC server listens; never-synced entities load in the background (see
 * `waitForInitialSync`).
 */
export async function startMasterDataService(options: StartMasterDataOptions): Promise<MasterDataService> {
  const { config } = options;
  const logger = options.logger ?? createLogger('master-data', { level: config.LOG_LEVEL });
  setPageTokenSecret(config.PAGE_TOKEN_SECRET);
  const metrics = createMetrics();
  // Everything started below stops in reverse order, each step bounded, failures logged.
  const stopping = createShutdown(logger, { timeoutMs: 15_000 });
  const closeAll = () => stopping.run();

  try {
    const orm = await initORM({ url: config.DATABASE_URL, entities: mirrorEntities, migrations, logger });
    stopping.add('database', () => orm.close());

    let redis = options.redis;
    if (!redis && config.REDIS_URL) {
      const opened = createRedis(config.REDIS_URL, logger);
      stopping.add('redis', () => opened.quit());
      redis = opened;
    }
    // The client never queues commands while offline, so a bootstrap sync started before the
    // connection is up would find its lock unreachable. When Redis stays down the service starts
    // anyway: reads degrade to the mirror and the schedules retry syncs.
    if (redis && !(await redisReady(redis, REDIS_READY_TIMEOUT_MS))) {
      logger.warn({ timeoutMs: REDIS_READY_TIMEOUT_MS }, 'Redis is not reachable yet; starting with cache and locks unavailable');
    }
    // With Redis: hot keys are served from this process, and replicas evict each other's copies
    // over pub/sub on the cache's own namespace.
    const tiered = redis
      ? createTieredCache({
          remote: createRedisCache(redis, { prefix: config.CACHE_PREFIX, logger, metrics }),
          local: { maxEntries: LOCAL_CACHE_ENTRIES, ttlMs: LOCAL_CACHE_TTL_MS },
          invalidation: { redis, channel: `${config.CACHE_PREFIX}md:evictions` },
          logger,
          metrics,
        })
      : undefined;
    if (tiered) stopping.add('cache evictions', () => tiered.close());
    if (tiered && !(await tiered.ready(REDIS_READY_TIMEOUT_MS))) {
      logger.warn({ timeoutMs: REDIS_READY_TIMEOUT_MS }, 'cache eviction channel not subscribed yet; serving from Redis only until it is');
    }
    const cache = tiered ?? createMemoryCache({ maxEntries: MEMORY_CACHE_ENTRIES, prefix: config.CACHE_PREFIX });
    const lock = redis ? createRedisLock(redis, { prefix: `${config.CACHE_PREFIX}lock:` }) : createMemoryLock();

    const source = options.source ?? (await openSource(config, logger));
    stopping.add('source', () => source.close());

    // A tiered cache evicts the generation on every replica itself; no extra reuse window.
    const store = createRecordStore({ orm, cache, source, logger, metrics, ...(tiered ? { generationReuseMs: 0 } : {}) });
    const sync = createSyncRunner({
      orm,
      source,
      store,
      lock,
      logger,
      metrics,
      batchSize: config.SYNC_BATCH_SIZE,
      overlapSeconds: config.SYNC_OVERLAP_SECONDS,
    });
    stopping.add('sync runner', () => sync.close());

    if (config.SYNC_SCHEDULES_ENABLED) {
      const scheduler = createScheduler({ lock, logger, metrics });
      registerSyncSchedules(scheduler, sync, catalogue, logger);
      stopping.add('scheduler', () => scheduler.stop());
    }

    let metricsPort: number | undefined;
    if (config.METRICS_PORT !== 0) {
      const metricsServer = await startMetricsServer(metrics, config.METRICS_PORT, config.GRPC_HOST);
      stopping.add('metrics server', () => metricsServer.close());
      metricsPort = metricsServer.port;
    }

    // Every call is verified (any signed-in caller reads; the data team runs syncs): access.ts.
    const authenticate =
      options.auth?.authenticate ??
      (await (async () => {
        const auth = await createServiceAuthentication({ config, logger, metrics, redis, ...options.auth });
        stopping.add('token verification', () => auth.close());
        return auth.authenticate;
      })());
    const server = createGrpcServer({
      name: 'master-data',
      logger,
      metrics,
      authenticate,
      descriptorSet: protoDescriptorSet(),
    });
    server.add(
      MasterDataServiceDefinition,
      guardService(createMasterDataHandlers({ store, catalogue, entityStates: (entities) => sync.entityStates(entities) }), MASTERDATA_ACCESS),
    );
    server.add(SyncServiceDefinition, guardService(createSyncHandlers({ orm, runner: sync, store, catalogue }), SYNC_ACCESS));
    server.add(AuditServiceDefinition, auditServiceImpl(orm));
    const port = await server.listen(`${config.GRPC_HOST}:${config.GRPC_PORT}`);
    stopping.add('grpc server', () => server.shutdown());

    // Started once the server listens: on PGlite the load shares this thread, and health and
    // reads must answer while it runs.
    const bootstrap = new AbortController();
    const initial = initialSync(sync, await neverSynced(orm), bootstrap.signal, logger);
    stopping.add('initial sync', async () => {
      bootstrap.abort();
      await initial;
    });

    const host = config.GRPC_HOST === '0.0.0.0' || config.GRPC_HOST === '::' ? '127.0.0.1' : config.GRPC_HOST;
    return {
      address: `${host}:${port}`,
      port,
      metricsPort,
      orm,
      source,
      store,
      sync,
      waitForInitialSync: () => initial,
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
