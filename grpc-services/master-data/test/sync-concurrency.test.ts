import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis, createRedisCache, createRedisLock, DomainError, initORM, type Redis } from '@core/platform';
import { createTestDatabase, redisUrl, testLogger, uniquePrefix, type TestDatabase } from '@core/testing';
import type { MikroORM } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureSource, type FixtureSource } from '../src/data/fixture/index.js';
import { mirrorEntities } from '../src/data/mirror.entities.js';
import { createRecordStore } from '../src/data/record-store.js';
import type { MasterDataSource } from '../src/data/source.js';
import { requireEntity } from '../src/domain/catalogue.js';
import type { SyncRunRecord } from '../src/domain/sync-run.js';
import { createSyncRunner, type SyncRunner } from '../src/jobs/sync.runner.js';
import { migrations } from '../src/migrations/index.js';

const logger = testLogger('sync-concurrency');
const customer = requireEntity('customer');
const BATCH_DELAY_MS = 60;

/**
 * Two replicas: each its own ORM pool, Redis connection and runner, sharing the database and the
 * lock namespace as replicas of one deployment do. The source pauses per batch so a run lasts long
 * enough for the others to collide with it.
 */
let db: TestDatabase;
const orms: MikroORM[] = [];
const connections: Redis[] = [];
let fixture: FixtureSource;
let replicas: SyncRunner[];

function slow(source: FixtureSource): MasterDataSource {
  return {
    kind: 'fixture',
    async *read(entity, options) {
      for await (const batch of source.read(entity, options)) {
        await sleep(BATCH_DELAY_MS);
        yield batch;
      }
    },
    getByKey: (entity, key) => source.getByKey(entity, key),
    close: async () => {},
  };
}

async function runsOf(entity: string): Promise<Array<{ id: string; status: string }>> {
  return (await orms[0]!.em.fork().getConnection().execute('SELECT id, status FROM md_sync_run WHERE entity = ?', [entity], 'all')) as Array<{
    id: string;
    status: string;
  }>;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

beforeAll(async () => {
  db = await createTestDatabase('md_sync_concurrency');
  fixture = createFixtureSource({ scale: { customer: 400 } });
  const prefix = uniquePrefix('md-sync-concurrency');
  replicas = [];
  for (const name of ['replica-a', 'replica-b']) {
    const orm = await initORM({ url: db.url, entities: mirrorEntities, migrations, logger });
    const redis = createRedis(redisUrl(), logger);
    await once(redis, 'ready');
    orms.push(orm);
    connections.push(redis);
    const source = slow(fixture);
    const store = createRecordStore({ orm, cache: createRedisCache(redis, { prefix, logger }), source, logger });
    replicas.push(
      createSyncRunner({
        orm,
        source,
        store,
        lock: createRedisLock(redis, { prefix: `${prefix}lock:` }),
        logger,
        batchSize: 50,
        runnerId: name,
      }),
    );
  }
});

afterAll(async () => {
  for (const replica of replicas ?? []) await replica.close();
  for (const orm of orms) await orm.close(true);
  for (const redis of connections) redis.disconnect();
  await db?.drop();
});

describe('sync concurrency', () => {
  it('of ten simultaneous runs of one entity on two replicas exactly one runs; the rest get ABORTED SYNC_IN_PROGRESS', async () => {
    const attempts = Array.from({ length: 10 }, (_, i) =>
      replicas[i % 2]!.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: `user-${i}` }),
    );
    const results = await Promise.allSettled(attempts);

    const ran = results.filter((result): result is PromiseFulfilledResult<SyncRunRecord> => result.status === 'fulfilled');
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(ran).toHaveLength(1);
    expect(ran[0]!.value).toMatchObject({ status: 'succeeded', rowsRead: 400, rowsUpserted: 400 });
    expect(refused).toHaveLength(9);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(DomainError);
      expect(reason).toMatchObject({ code: 'ABORTED', reason: 'SYNC_IN_PROGRESS', metadata: { entity: 'customer' } });
    }
    expect(await runsOf('customer')).toEqual([{ id: ran[0]!.value.id, status: 'succeeded' }]);
  });

  it('start() returns the running run at once; while it runs the other replica is refused and sees it running', async () => {
    const started = await replicas[0]!.start(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'alice' });
    expect(started).toMatchObject({ status: 'running', runner: 'replica-a', triggeredBy: 'alice', rowsRead: 0 });
    expect(started.finishedAt).toBeUndefined();

    expect((await replicas[1]!.entityState(customer)).running).toBe(true);
    await expect(replicas[1]!.start(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'bob' })).rejects.toMatchObject({
      code: 'ABORTED',
      reason: 'SYNC_IN_PROGRESS',
    });

    const finished = await until(
      () => replicas[1]!.getRun(started.id),
      (run) => run?.status !== 'running',
    );
    expect(finished).toMatchObject({ status: 'succeeded', rowsRead: 400, rowsUpserted: 0, rowsDeleted: 0 });
    expect((await replicas[1]!.entityState(customer)).running).toBe(false);

    // Free again: the other replica may now run the entity.
    const next = await replicas[1]!.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'bob' });
    expect(next).toMatchObject({ status: 'succeeded', runner: 'replica-b', mode: 'incremental' });
  });

  it('a run left "running" by a replica that died is closed as failed when the entity runs next', async () => {
    const orphan = randomUUID();
    await orms[0]!.em
      .fork()
      .getConnection()
      .execute(
        `INSERT INTO md_sync_run (id, entity, mode, trigger, triggered_by, status, started_at, runner)
         VALUES (?, 'customer', 'full', 'schedule', 'scheduler', 'running', now() - interval '1 hour', 'replica-dead')`,
        [orphan],
      );
    expect((await replicas[0]!.entityState(customer)).running).toBe(true);

    await replicas[0]!.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'carol' });

    const closed = await replicas[0]!.getRun(orphan);
    expect(closed).toMatchObject({ status: 'failed', runner: 'replica-dead' });
    expect(closed?.error).toMatch(/interrupted/);
    expect((await replicas[0]!.entityState(customer)).running).toBe(false);
  });

  it('close() aborts a background run, which is recorded as failed and releases the lock', async () => {
    const started = await replicas[1]!.start(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'dave' });
    await sleep(BATCH_DELAY_MS * 2);
    await replicas[1]!.close();

    const run = await replicas[0]!.getRun(started.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/aborted/);
    // The lock was released on the way out: the other replica runs at once.
    await expect(replicas[0]!.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'erin' })).resolves.toMatchObject({
      status: 'succeeded',
    });
  });
});
