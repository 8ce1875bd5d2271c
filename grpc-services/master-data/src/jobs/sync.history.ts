import type { EntityManager } from '@mikro-orm/core';
import { SyncRunSchema, SyncStateSchema, type SyncRun } from '../data/mirror.entities.js';
import type { EntityDef } from '../domain/catalogue.types.js';
import type { SyncMode, SyncRunRecord, SyncTrigger } from '../domain/sync-run.js';

/**
 * Persistence of the run history (`md_sync_run`) and per-entity state (`md_sync_state`) for the
 * sync runner. Every function takes the EntityManager to run in, so the runner decides which
 * writes share a transaction with the mirror writes.
 */

/** The md_sync_state row as the runner needs it. */
export interface StoredSyncState {
  readonly watermark?: Date;
  readonly lastSuccessAt?: Date;
  readonly lastFullAt?: Date;
  readonly rowCount: number;
}

/** Counters of a run so far. */
export interface RunProgress {
  readonly rowsRead: number;
  readonly rowsUpserted: number;
  readonly rowsDeleted: number;
}

const toDate = (value: Date | string | null | undefined): Date | undefined =>
  value === null || value === undefined ? undefined : value instanceof Date ? value : new Date(value);

/** Maps an ORM row to the domain record (nullable columns become absent fields). */
export function toRunRecord(run: SyncRun): SyncRunRecord {
  return {
    id: run.id,
    entity: run.entity,
    mode: run.mode,
    trigger: run.trigger,
    triggeredBy: run.triggeredBy,
    status: run.status,
    startedAt: toDate(run.startedAt) as Date,
    ...(run.finishedAt ? { finishedAt: toDate(run.finishedAt) } : {}),
    rowsRead: Number(run.rowsRead ?? 0),
    rowsUpserted: Number(run.rowsUpserted ?? 0),
    rowsDeleted: Number(run.rowsDeleted ?? 0),
    ...(run.watermarkFrom ? { watermarkFrom: toDate(run.watermarkFrom) } : {}),
    ...(run.watermarkTo ? { watermarkTo: toDate(run.watermarkTo) } : {}),
    ...(run.error ? { error: run.error } : {}),
    runner: run.runner,
  };
}

export async function loadState(em: EntityManager, entity: EntityDef): Promise<StoredSyncState> {
  const state = await em.findOne(SyncStateSchema, { entity: entity.name }, { refresh: true });
  return {
    watermark: toDate(state?.watermark),
    lastSuccessAt: toDate(state?.lastSuccessAt),
    lastFullAt: toDate(state?.lastFullAt),
    rowCount: Number(state?.rowCount ?? 0),
  };
}

/**
 * Records a run as running. Called while holding the entity's lock, so any other `running` row of
 * the entity is a leftover of a replica that died mid-run: it is closed as failed first, which
 * keeps "running" in the history meaning "running now".
 */
export async function recordRunStarted(
  em: EntityManager,
  run: {
    id: string;
    entity: EntityDef;
    mode: SyncMode;
    trigger: SyncTrigger;
    triggeredBy: string;
    startedAt: Date;
    watermarkFrom?: Date;
    runner: string;
  },
  /** Runs in the same transaction once the run is recorded (the audit event of a manual trigger). */
  onRecorded?: (em: EntityManager, run: SyncRunRecord) => Promise<void>,
): Promise<SyncRunRecord> {
  return em.transactional(async (tem) => {
    await tem.nativeUpdate(
      SyncRunSchema,
      { entity: run.entity.name, status: 'running' },
      { status: 'failed', finishedAt: run.startedAt, error: 'interrupted: the replica running it stopped before it finished' },
    );
    const row = tem.create(SyncRunSchema, {
      id: run.id,
      entity: run.entity.name,
      mode: run.mode,
      trigger: run.trigger,
      triggeredBy: run.triggeredBy,
      status: 'running',
      startedAt: run.startedAt,
      finishedAt: null,
      rowsRead: 0,
      rowsUpserted: 0,
      rowsDeleted: 0,
      watermarkFrom: run.watermarkFrom ?? null,
      watermarkTo: null,
      error: null,
      runner: run.runner,
    });
    await tem.flush();
    const record = toRunRecord(row);
    await onRecorded?.(tem, record);
    return record;
  });
}

/**
 * Closes a successful run and moves the entity's state, in the caller's transaction (the one that
 * wrote the last batch), so the watermark never gets ahead of the rows written.
 */
export async function recordRunSucceeded(
  em: EntityManager,
  run: { id: string; entity: EntityDef; mode: SyncMode; finishedAt: Date; watermarkTo?: Date; progress: RunProgress },
): Promise<void> {
  await em.nativeUpdate(
    SyncRunSchema,
    { id: run.id },
    { status: 'succeeded', finishedAt: run.finishedAt, watermarkTo: run.watermarkTo ?? null, ...run.progress },
  );
  // GREATEST ignores NULL and keeps the watermark from moving backwards even if two writers race.
  await em.getConnection().execute(
    `INSERT INTO md_sync_state (entity, watermark, last_success_at, last_full_at, row_count) VALUES (?, ?::timestamptz, ?::timestamptz, ?::timestamptz, 0)
ON CONFLICT (entity) DO UPDATE SET
  watermark = GREATEST(md_sync_state.watermark, EXCLUDED.watermark),
  last_success_at = EXCLUDED.last_success_at,
  last_full_at = COALESCE(EXCLUDED.last_full_at, md_sync_state.last_full_at)`,
    [
      run.entity.name,
      run.watermarkTo?.toISOString() ?? null,
      run.finishedAt.toISOString(),
      run.mode === 'full' ? run.finishedAt.toISOString() : null,
    ],
    'run',
    em.getTransactionContext(),
  );
}

/** Closes a failed run; the state (and so the watermark) is left as it was. */
export async function recordRunFailed(
  em: EntityManager,
  run: { id: string; finishedAt: Date; error: string; watermarkTo?: Date; progress: RunProgress },
): Promise<void> {
  await em.nativeUpdate(
    SyncRunSchema,
    { id: run.id },
    { status: 'failed', finishedAt: run.finishedAt, error: run.error, watermarkTo: run.watermarkTo ?? null, ...run.progress },
  );
}

export async function findRun(em: EntityManager, id: string): Promise<SyncRunRecord | undefined> {
  const run = await em.findOne(SyncRunSchema, { id }, { refresh: true });
  return run ? toRunRecord(run) : undefined;
}

/** Keyset position in the history: newest first, ties on start time broken by id. */
export interface RunCursor {
  readonly startedAt: Date;
  readonly id: string;
}

/** One page of runs after `after` (exclusive), newest first; `limit + 1` rows tell if more exist. */
export async function findRuns(
  em: EntityManager,
  filter: { entity?: string; after?: RunCursor; limit: number },
): Promise<SyncRunRecord[]> {
  const where = {
    ...(filter.entity ? { entity: filter.entity } : {}),
    ...(filter.after
      ? {
          $or: [
            { startedAt: { $lt: filter.after.startedAt } },
            { startedAt: filter.after.startedAt, id: { $gt: filter.after.id } },
          ],
        }
      : {}),
  };
  const runs = await em.find(SyncRunSchema, where, {
    orderBy: { startedAt: 'desc', id: 'asc' },
    limit: filter.limit,
    refresh: true,
  });
  return runs.map(toRunRecord);
}

/** States of several entities in one query (absent entities have never synced). */
export async function loadStates(em: EntityManager, entities: readonly EntityDef[]): Promise<Map<string, StoredSyncState>> {
  const states = await em.find(SyncStateSchema, { entity: { $in: entities.map((entity) => entity.name) } }, { refresh: true });
  return new Map(
    states.map((state) => [
      state.entity,
      {
        watermark: toDate(state.watermark),
        lastSuccessAt: toDate(state.lastSuccessAt),
        lastFullAt: toDate(state.lastFullAt),
        rowCount: Number(state.rowCount ?? 0),
      },
    ]),
  );
}

/** Which of the entities have a run in progress. */
export async function runningEntities(em: EntityManager, entities: readonly EntityDef[]): Promise<Set<string>> {
  const runs = await em.find(
    SyncRunSchema,
    { status: 'running', entity: { $in: entities.map((entity) => entity.name) } },
    { fields: ['entity'], refresh: true },
  );
  return new Set(runs.map((run) => run.entity));
}

export async function isRunning(em: EntityManager, entity: EntityDef): Promise<boolean> {
  return (await em.count(SyncRunSchema, { entity: entity.name, status: 'running' })) > 0;
}

/** Last success per entity, for the lag and last-success gauges. */
export async function loadLastSuccesses(em: EntityManager): Promise<Array<{ entity: string; lastSuccessAt: Date }>> {
  const states = await em.find(SyncStateSchema, { lastSuccessAt: { $ne: null } }, { refresh: true });
  return states.map((state) => ({ entity: state.entity, lastSuccessAt: toDate(state.lastSuccessAt) as Date }));
}
