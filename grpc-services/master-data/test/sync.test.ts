import { once } from 'node:events';
import {
  createMemoryLock,
  createMetrics,
  createRedis,
  createRedisCache,
  createRedisLock,
  DomainError,
  initORM,
  type Metrics,
  type Redis,
} from '@core/platform';
import { createTestDatabase, redisUrl, testLogger, uniquePrefix, type TestDatabase } from '@core/testing';
import type { MikroORM } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureSource, type FixtureSource } from '../src/data/fixture/index.js';
import { mirrorEntities } from '../src/data/mirror.entities.js';
import { createRecordStore, type RecordStore } from '../src/data/record-store.js';
import type { MasterDataSource, SourceRow } from '../src/data/source.js';
import { requireEntity } from '../src/domain/catalogue.js';
import { encodeRecordKey } from '../src/domain/record-key.js';
import { createSyncRunner, type SyncRunner } from '../src/jobs/sync.runner.js';
import { migrations } from '../src/migrations/index.js';

const logger = testLogger('sync');
const customer = requireEntity('customer');
const branch = requireEntity('branch');
const OVERLAP_SECONDS = 600;
const BATCH_SIZE = 40;
const CUSTOMERS = 300;

let db: TestDatabase;
let orm: MikroORM;
let redis: Redis;
let fixture: FixtureSource;
let store: RecordStore;
let metrics: Metrics;
let runner: SyncRunner;

interface MirrorRow {
  data: Record<string, unknown>;
  synced_at: Date;
}

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await orm.em.fork().getConnection().execute(query, params, 'all')) as T[];
}

async function mirrorRow(key: number): Promise<MirrorRow | undefined> {
  const [row] = await sql<MirrorRow>('SELECT data, synced_at FROM md_record WHERE entity = ? AND record_key = ?', [
    'customer',
    encodeRecordKey([String(key)]),
  ]);
  return row;
}

/** Keys full runs recorded as seen and have not dropped yet (only a run in progress should have any). */
async function seenKeyCount(entity: string): Promise<number> {
  const [row] = await sql<{ n: string }>('SELECT count(*)::text AS n FROM md_sync_seen WHERE entity = ?', [entity]);
  return Number(row?.n);
}

async function mirrorCount(entity: string): Promise<number> {
  const [row] = await sql<{ n: string }>('SELECT count(*)::text AS n FROM md_record WHERE entity = ?', [entity]);
  return Number(row?.n);
}

/** Every fixture customer row, read the way the sync reads it. */
async function fixtureCustomers(): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const batch of fixture.read(customer, { batchSize: 500 })) rows.push(...batch);
  return rows;
}

const customerId = (row: SourceRow) => row.CUST_ACCOUNT_ID as number;
const updatedAt = (row: SourceRow) => (row.LAST_UPDATE_DATE as Date).getTime();

beforeAll(async () => {
  db = await createTestDatabase('md_sync');
  orm = await initORM({ url: db.url, entities: mirrorEntities, migrations, logger });
  redis = createRedis(redisUrl(), logger);
  await once(redis, 'ready');
  const prefix = uniquePrefix('md-sync');
  fixture = createFixtureSource({ scale: { customer: CUSTOMERS } });
  metrics = createMetrics();
  store = createRecordStore({ orm, cache: createRedisCache(redis, { prefix, logger }), source: fixture, logger, metrics });
  runner = createSyncRunner({
    orm,
    source: fixture,
    store,
    lock: createRedisLock(redis, { prefix: `${prefix}lock:` }),
    logger,
    metrics,
    batchSize: BATCH_SIZE,
    overlapSeconds: OVERLAP_SECONDS,
    runnerId: 'test-runner',
  });
});

afterAll(async () => {
  await runner?.close();
  await orm?.close(true);
  redis?.disconnect();
  await db?.drop();
});

describe('sync runner', () => {
  it('loads an empty mirror with a full run even when incremental was asked (no watermark yet)', async () => {
    const rows = await fixtureCustomers();
    const run = await runner.run(customer, { mode: 'incremental', trigger: 'bootstrap', triggeredBy: 'test' });

    expect(run).toMatchObject({
      entity: 'customer',
      mode: 'full',
      trigger: 'bootstrap',
      triggeredBy: 'test',
      status: 'succeeded',
      rowsRead: CUSTOMERS,
      rowsUpserted: CUSTOMERS,
      rowsDeleted: 0,
      runner: 'test-runner',
    });
    expect(run.watermarkFrom).toBeUndefined();
    expect(run.watermarkTo?.getTime()).toBe(Math.max(...rows.map(updatedAt)));
    expect(await mirrorCount('customer')).toBe(CUSTOMERS);

    const state = await runner.entityState(customer);
    expect(state).toMatchObject({ rowCount: CUSTOMERS, running: false });
    expect(state.watermark?.getTime()).toBe(run.watermarkTo?.getTime());
    expect(state.lastFullAt?.getTime()).toBe(run.finishedAt?.getTime());
    expect(state.lagSeconds).toBeGreaterThanOrEqual(0);

    const first = rows[0] as SourceRow;
    expect((await mirrorRow(customerId(first)))?.data).toMatchObject({ CUSTOMER_NAME: first.CUSTOMER_NAME });
  });

  it('an unchanged incremental run re-reads only the overlap window and writes nothing', async () => {
    const before = await runner.entityState(customer);
    const since = (before.watermark as Date).getTime() - OVERLAP_SECONDS * 1000;
    const inWindow = (await fixtureCustomers()).filter((row) => updatedAt(row) >= since).length;

    const run = await runner.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'test' });

    expect(run).toMatchObject({ mode: 'incremental', status: 'succeeded', rowsRead: inWindow, rowsUpserted: 0 });
    expect(run.watermarkTo?.getTime()).toBe(before.watermark?.getTime());
    expect(await sql('SELECT 1 FROM md_record WHERE entity = ? AND synced_at = ?::timestamptz', ['customer', run.startedAt.toISOString()])).toHaveLength(0);
  });

  it('incremental picks up rows updated in the source after the watermark, and only those', async () => {
    const watermark = (await runner.entityState(customer)).watermark as Date;
    const rows = await fixtureCustomers();
    const [a, b] = [rows[10] as SourceRow, rows[200] as SourceRow];
    const later = new Date(watermark.getTime() + 120_000);
    fixture.update('customer', [customerId(a)], { CUSTOMER_NAME: 'TOKO BARU MAKMUR' }, new Date(watermark.getTime() + 60_000));
    fixture.update('customer', [customerId(b)], { STATUS: 'I' }, later);

    const run = await runner.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'test' });

    expect(run).toMatchObject({ mode: 'incremental', status: 'succeeded', rowsUpserted: 2 });
    expect(run.watermarkFrom?.getTime()).toBe(watermark.getTime());
    expect(run.watermarkTo?.getTime()).toBe(later.getTime());
    expect((await mirrorRow(customerId(a)))?.data).toMatchObject({ CUSTOMER_NAME: 'TOKO BARU MAKMUR' });
    expect((await mirrorRow(customerId(b)))?.data).toMatchObject({ STATUS: 'I' });
    // Exactly the two changed rows were rewritten by this run; every other row kept its old write.
    const rewritten = await sql<{ record_key: string }>('SELECT record_key FROM md_record WHERE entity = ? AND synced_at = ?::timestamptz', [
      'customer',
      run.startedAt.toISOString(),
    ]);
    expect(rewritten.map((row) => row.record_key).sort()).toEqual([String(customerId(a)), String(customerId(b))].sort());
  });

  it('the overlap window catches rows that commit late with an earlier updated-at; older ones wait for the full run', async () => {
    const watermark = (await runner.entityState(customer)).watermark as Date;
    const rows = await fixtureCustomers();
    const [late, tooLate] = [rows[50] as SourceRow, rows[51] as SourceRow];
    fixture.update('customer', [customerId(late)], { CUSTOMER_NAME: 'TOKO TELAT' }, new Date(watermark.getTime() - 300_000));
    fixture.update('customer', [customerId(tooLate)], { CUSTOMER_NAME: 'TOKO SANGAT TELAT' }, new Date(watermark.getTime() - 1_200_000));

    const run = await runner.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'test' });

    expect(run).toMatchObject({ mode: 'incremental', status: 'succeeded', rowsUpserted: 1 });
    expect(run.watermarkTo?.getTime()).toBe(watermark.getTime());
    expect((await mirrorRow(customerId(late)))?.data).toMatchObject({ CUSTOMER_NAME: 'TOKO TELAT' });
    expect((await mirrorRow(customerId(tooLate)))?.data).not.toMatchObject({ CUSTOMER_NAME: 'TOKO SANGAT TELAT' });

    const full = await runner.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'test' });
    expect(full).toMatchObject({ mode: 'full', status: 'succeeded', rowsRead: CUSTOMERS, rowsUpserted: 1, rowsDeleted: 0 });
    expect((await mirrorRow(customerId(tooLate)))?.data).toMatchObject({ CUSTOMER_NAME: 'TOKO SANGAT TELAT' });
  });

  it('a full reconcile removes rows the source deleted, adds new ones and counts them', async () => {
    const rows = await fixtureCustomers();
    const doomed = [rows[0], rows[137], rows[rows.length - 1]].map((row) => customerId(row as SourceRow));
    expect(await store.get(customer, [String(doomed[1])])).toBeDefined();
    for (const id of doomed) expect(fixture.delete('customer', [id])).toBe(true);
    const template = rows[5] as SourceRow;
    fixture.insert('customer', { ...template, CUST_ACCOUNT_ID: 99_999_001, CUSTOMER_NAME: 'TOKO ANYAR' });

    const run = await runner.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'test' });

    expect(run).toMatchObject({ mode: 'full', status: 'succeeded', rowsRead: CUSTOMERS - 2, rowsUpserted: 1, rowsDeleted: 3 });
    for (const id of doomed) expect(await mirrorRow(id)).toBeUndefined();
    // Only the new row was written; the unchanged ones were recorded as seen, not rewritten.
    const written = await sql<{ record_key: string }>('SELECT record_key FROM md_record WHERE entity = ? AND synced_at >= ?::timestamptz', [
      'customer',
      run.startedAt.toISOString(),
    ]);
    expect(written.map((row) => row.record_key)).toEqual([encodeRecordKey(['99999001'])]);
    expect(await seenKeyCount('customer')).toBe(0);
    expect((await mirrorRow(99_999_001))?.data).toMatchObject({ CUSTOMER_NAME: 'TOKO ANYAR' });
    expect(await mirrorCount('customer')).toBe(fixture.count('customer'));
    expect((await runner.entityState(customer)).rowCount).toBe(fixture.count('customer'));

    // The deleted key was cached above; its invalidation makes the store look again and find nothing.
    expect(await store.get(customer, [String(doomed[1])])).toBeUndefined();
  });

  it('a read-through of a row the mirror lacks writes it with upsertOne and counts it', async () => {
    const before = (await runner.entityState(customer)).rowCount;
    const template = (await fixtureCustomers())[8] as SourceRow;
    fixture.insert('customer', { ...template, CUST_ACCOUNT_ID: 99_999_002, CUSTOMER_NAME: 'TOKO LEWAT' });

    expect((await store.get(customer, ['99999002']))?.data.CUSTOMER_NAME).toBe('TOKO LEWAT');

    expect((await mirrorRow(99_999_002))?.data).toMatchObject({ CUSTOMER_NAME: 'TOKO LEWAT' });
    expect((await runner.entityState(customer)).rowCount).toBe(before + 1);
    // The next sync sees it unchanged and rewrites no row.
    const run = await runner.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'test' });
    expect(run).toMatchObject({ status: 'succeeded', rowsUpserted: 0, rowsDeleted: 0 });
    expect(await sql('SELECT 1 FROM md_record WHERE entity = ? AND synced_at >= ?::timestamptz', ['customer', run.startedAt.toISOString()])).toHaveLength(0);
    expect((await runner.entityState(customer)).rowCount).toBe(fixture.count('customer'));
  });

  it('after a sync the store serves the new value of a record it had cached', async () => {
    const key = String(customerId((await fixtureCustomers())[120] as SourceRow));
    const before = await store.get(customer, [key]);
    expect(before).toBeDefined();
    const watermark = (await runner.entityState(customer)).watermark as Date;

    fixture.update('customer', [Number(key)], { CUSTOMER_NAME: 'TOKO SEGAR' }, new Date(watermark.getTime() + 1000));
    // Still the cached copy: the mirror (and so the cache) changes only through a sync.
    expect((await store.get(customer, [key]))?.data.CUSTOMER_NAME).toBe(before?.data.CUSTOMER_NAME);

    const run = await runner.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'test' });
    expect(run.rowsUpserted).toBe(1);
    expect((await store.get(customer, [key]))?.data.CUSTOMER_NAME).toBe('TOKO SEGAR');
  });

  it('entities without an updated-at column always run full', async () => {
    const run = await runner.run(branch, { mode: 'incremental', trigger: 'manual', triggeredBy: 'test' });
    expect(run).toMatchObject({ entity: 'branch', mode: 'full', status: 'succeeded', rowsRead: fixture.count('branch') });
    expect(run.watermarkTo).toBeUndefined();
    expect(await mirrorCount('branch')).toBe(fixture.count('branch'));
  });

  it('a failing source marks the run failed, keeps the rows it applied and does not move the watermark', async () => {
    const before = await runner.entityState(customer);
    const rows = await fixtureCustomers();
    const firstBatchRow = rows[3] as SourceRow;
    const future = new Date((before.watermark as Date).getTime() + 3_600_000);
    fixture.update('customer', [customerId(firstBatchRow)], { CUSTOMER_NAME: 'TOKO SEBELUM PUTUS' }, future);
    const failing: MasterDataSource = {
      kind: 'fixture',
      async *read(entity, options) {
        let batches = 0;
        for await (const batch of fixture.read(entity, options)) {
          batches += 1;
          if (batches === 3) throw new Error('ORA-03113: end-of-file on communication channel');
          yield batch;
        }
      },
      getByKey: (entity, key) => fixture.getByKey(entity, key),
      close: async () => {},
    };
    const failingRunner = createSyncRunner({
      orm,
      source: failing,
      store,
      lock: createRedisLock(redis, { prefix: uniquePrefix('md-sync-failing') }),
      logger,
      batchSize: BATCH_SIZE,
      overlapSeconds: OVERLAP_SECONDS,
    });

    const run = await failingRunner.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'test' });

    expect(run).toMatchObject({ status: 'failed', rowsRead: BATCH_SIZE, rowsUpserted: 1, rowsDeleted: 0 });
    expect(run.error).toContain('ORA-03113');
    expect(run.finishedAt).toBeDefined();
    expect(run.watermarkTo?.getTime()).toBe(before.watermark?.getTime());
    const after = await runner.entityState(customer);
    expect(after.watermark?.getTime()).toBe(before.watermark?.getTime());
    expect(after.lastSuccessAt?.getTime()).toBe(before.lastSuccessAt?.getTime());
    expect(after.lastFullAt?.getTime()).toBe(before.lastFullAt?.getTime());
    // A failed full run deletes nothing, although it saw only part of the view.
    expect(await mirrorCount('customer')).toBe(fixture.count('customer'));
    expect((await mirrorRow(customerId(firstBatchRow)))?.data).toMatchObject({ CUSTOMER_NAME: 'TOKO SEBELUM PUTUS' });
    expect(await runner.getRun(run.id)).toEqual(run);
    // The keys its first batches recorded as seen went with it.
    expect(await seenKeyCount('customer')).toBe(0);
  });

  it('pages through the history newest first, per entity or across entities', async () => {
    const all: string[] = [];
    let pageToken = '';
    do {
      const page = await runner.listRuns({ pageSize: 3, pageToken });
      expect(page.runs.length).toBeLessThanOrEqual(3);
      all.push(...page.runs.map((run) => run.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    const [everything] = await sql<{ n: string }>('SELECT count(*)::text AS n FROM md_sync_run');
    expect(all).toHaveLength(Number(everything?.n));
    expect(new Set(all).size).toBe(all.length);

    const runs = await Promise.all(all.map(async (id) => (await runner.getRun(id))!));
    for (let i = 1; i < runs.length; i += 1) {
      expect(runs[i - 1]!.startedAt.getTime()).toBeGreaterThanOrEqual(runs[i]!.startedAt.getTime());
    }

    const branchRuns = await runner.listRuns({ entity: 'branch', pageSize: 0 });
    expect(branchRuns.runs.map((run) => run.entity)).toEqual(['branch']);
    expect(branchRuns.nextPageToken).toBe('');

    const firstPage = await runner.listRuns({ entity: 'customer', pageSize: 2 });
    expect(firstPage.nextPageToken).not.toBe('');
    const misuse = runner.listRuns({ entity: 'branch', pageSize: 2, pageToken: firstPage.nextPageToken });
    await expect(misuse).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_PAGE_TOKEN' });
    await expect(runner.listRuns({ pageSize: 2, pageToken: `${firstPage.nextPageToken}x` })).rejects.toBeInstanceOf(DomainError);
    await expect(runner.listRuns({ pageSize: 201 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
  });

  it('exports duration, row, lag and last-success metrics', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/masterdata_sync_duration_seconds_count\{entity="customer",mode="full",status="succeeded"\} [1-9]/);
    expect(text).toMatch(/masterdata_sync_rows_total\{entity="customer",op="read"\} [1-9]/);
    expect(text).toMatch(/masterdata_sync_rows_total\{entity="customer",op="deleted"\} 3/);
    expect(text).toMatch(/masterdata_sync_lag_seconds\{entity="customer"\} \d/);
    const lastSuccess = /masterdata_sync_last_success_timestamp\{entity="customer"\} ([\d.e+]+)/.exec(text);
    const state = await runner.entityState(customer);
    expect(Number(lastSuccess?.[1])).toBeCloseTo((state.lastSuccessAt as Date).getTime() / 1000, 3);
  });

  it('seen keys left by a run that died do not save a row from the next full run, which drops them', async () => {
    const rows = await fixtureCustomers();
    const vanished = customerId(rows[42] as SourceRow);
    const deadRun = '00000000-0000-4000-8000-000000000042';
    // As a replica killed during its full run leaves them: the vanished row among its seen keys.
    await sql(
      'INSERT INTO md_sync_seen (run_id, entity, record_key) SELECT ?::uuid, ?, record_key FROM md_record WHERE entity = ?',
      [deadRun, 'customer', 'customer'],
    );
    expect(await seenKeyCount('customer')).toBe(await mirrorCount('customer'));
    expect(fixture.delete('customer', [vanished])).toBe(true);

    const run = await runner.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'test' });

    expect(run).toMatchObject({ mode: 'full', status: 'succeeded', rowsUpserted: 0, rowsDeleted: 1 });
    expect(await mirrorRow(vanished)).toBeUndefined();
    expect(await mirrorCount('customer')).toBe(fixture.count('customer'));
    expect(await seenKeyCount('customer')).toBe(0);
  });
});

describe('sync runner on PGlite (the embedded one-process mode)', () => {
  it('runs the same statements: full load, incremental change, full reconcile with a deletion', async () => {
    const embedded = await initORM({ url: 'pglite:memory', entities: mirrorEntities, migrations, logger });
    try {
      const source = createFixtureSource({ scale: { customer: 120 } });
      const invalidated: string[] = [];
      const embeddedRunner = createSyncRunner({
        orm: embedded,
        source,
        store: {
          invalidate: async (_entity, keys) => void invalidated.push(...keys),
          invalidateAll: async () => {},
        },
        lock: createMemoryLock(),
        logger,
        batchSize: 50,
      });
      const loaded = await embeddedRunner.run(customer, { mode: 'full', trigger: 'bootstrap', triggeredBy: 'test' });
      expect(loaded).toMatchObject({ status: 'succeeded', rowsRead: 120, rowsUpserted: 120 });

      const ids: number[] = [];
      for await (const batch of source.read(customer, { batchSize: 200 })) ids.push(...batch.map(customerId));
      source.update('customer', [ids[7]!], { CUSTOMER_NAME: 'TOKO PGLITE' }, new Date(loaded.watermarkTo!.getTime() + 1000));
      source.delete('customer', [ids[9]!]);
      invalidated.length = 0;

      const incremental = await embeddedRunner.run(customer, { mode: 'incremental', trigger: 'manual', triggeredBy: 'test' });
      expect(incremental).toMatchObject({ mode: 'incremental', status: 'succeeded', rowsUpserted: 1, rowsDeleted: 0 });
      const full = await embeddedRunner.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'test' });
      expect(full).toMatchObject({ mode: 'full', status: 'succeeded', rowsRead: 119, rowsUpserted: 0, rowsDeleted: 1 });
      expect(invalidated.sort()).toEqual([String(ids[7]), String(ids[9])].sort());
      expect(await embeddedRunner.entityState(customer)).toMatchObject({ rowCount: 119, running: false });
    } finally {
      await embedded.close(true);
    }
  });
});
