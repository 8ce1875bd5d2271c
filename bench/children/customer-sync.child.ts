/**
 * The system under test for benchmark (d): the master-data sync runner, wired as the service wires
 * it (PostgreSQL mirror with the service's migrations, Redis lock and hot cache whose changed keys
 * it invalidates after every batch), running one full sync of the fixture's customers.
 * Environment: BENCH_DATABASE_URL (fresh), BENCH_ROWS, BENCH_CACHE_PREFIX (Redis keys of this run).
 */
import { once } from 'node:events';
import { createLogger, createMetrics, createRedis, createRedisCache, createRedisLock, initORM } from '@core/platform';
import { migrations } from '../../grpc-services/master-data/src/migrations/index.js';
import { mirrorEntities } from '../../grpc-services/master-data/src/data/mirror.entities.js';
import { createRecordStore } from '../../grpc-services/master-data/src/data/record-store.js';
import { createFixtureSource } from '../../grpc-services/master-data/src/data/fixture/index.js';
import { requireEntity } from '../../grpc-services/master-data/src/domain/catalogue.js';
import { createSyncRunner } from '../../grpc-services/master-data/src/jobs/sync.runner.js';
import { readPeakRss, sampleHeap, serveParent } from '../lib/child.js';

await serveParent(async () => {
  const url = process.env.BENCH_DATABASE_URL;
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  if (!url) throw new Error('BENCH_DATABASE_URL is not set');
  const logger = createLogger('bench-customer-sync', { level: 'warn' });
  const metrics = createMetrics();
  const orm = await initORM({ url, entities: mirrorEntities, migrations, logger });
  const redis = createRedis('redis://127.0.0.1:6379', logger);
  await once(redis, 'ready');
  const prefix = process.env.BENCH_CACHE_PREFIX ?? `bench:d:${process.pid}:`;
  const source = createFixtureSource({ scale: { customer: rows } });
  const store = createRecordStore({ orm, cache: createRedisCache(redis, { prefix, logger, metrics }), source, logger, metrics });
  const sync = createSyncRunner({ orm, source, store, lock: createRedisLock(redis, { prefix: `${prefix}lock:` }), logger, metrics });

  return {
    info: { rows },
    handlers: {
      run: async () => {
        const heap = sampleHeap();
        const started = process.hrtime.bigint();
        const run = await sync.run(requireEntity('customer'), { mode: 'full', trigger: 'manual', triggeredBy: 'bench' });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (run.status !== 'succeeded') throw new Error(`sync run ${run.id} ${run.status}: ${run.error ?? ''}`);
        const [counted] = (await orm.em
          .fork()
          .getConnection()
          .execute(`SELECT count(*)::text AS n FROM md_record WHERE entity = 'customer'`)) as Array<{ n: string }>;
        return {
          rows: run.rowsRead,
          counted: Number(counted?.n ?? 0),
          seconds,
          peakRssBytes: await readPeakRss(),
          ...heap.stop(),
          run: { mode: run.mode, status: run.status, rowsRead: run.rowsRead, rowsUpserted: run.rowsUpserted, rowsDeleted: run.rowsDeleted },
        };
      },
    },
    stop: async () => {
      await sync.close();
      await source.close();
      redis.disconnect();
      await orm.close(true);
    },
  };
});
