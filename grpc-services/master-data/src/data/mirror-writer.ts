import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { CompiledQuery } from 'kysely';
import type { EntityDef } from '../domain/catalogue.types.js';
import { encodeRecordKey, keyOfRow, rowToData, searchTextOfRow } from '../domain/record-key.js';
import { sourceUpdatedAt } from '../domain/sync-rules.js';
import type { SourceRow } from './source.js';

/**
 * Set-based writes to `md_record`. A batch travels as ONE JSON text parameter expanded by
 * `json_to_recordset`: one statement per batch whatever its size, no 65,535-parameter ceiling,
 * and the same SQL runs on PostgreSQL and PGlite.
 *
 * Statements go through MikroORM's own Kysely client (and its transaction, when the EntityManager
 * is in one) as bound parameters. `em.getConnection().execute()` would inline the parameters into
 * the SQL text, escaping a megabyte of JSON character by character per batch, which measured about
 * 1.5 times slower on wide views.
 */

/** The part of Kysely (client or transaction) that runs a compiled statement. */
interface QueryExecutor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<{ rows: R[] }>;
}

/** One source row prepared for the mirror. */
export interface MirrorRow {
  readonly recordKey: string;
  /** Canonical JSON of the declared columns (catalogue column order), hashed and stored as jsonb. */
  readonly dataJson: string;
  readonly searchText: string;
  /** md5 of `dataJson`: a row whose hash did not change is not rewritten. */
  readonly rowHash: string;
  readonly sourceUpdatedAt?: Date;
}

/** What one batch did to the mirror. */
export interface BatchWriteResult {
  /** Keys inserted or changed (their cached copies are stale). */
  readonly changedKeys: string[];
  readonly inserted: number;
  readonly updated: number;
  /** Rows of the batch dropped because a later row of the same batch had the same key. */
  readonly duplicates: number;
}

/** Prepares a source row: key, canonical data JSON, its hash, search text and updated-at. */
export function toMirrorRow(entity: EntityDef, row: SourceRow): MirrorRow {
  const dataJson = JSON.stringify(rowToData(entity, row));
  return {
    recordKey: encodeRecordKey(keyOfRow(entity, row)),
    dataJson,
    searchText: searchTextOfRow(entity, row),
    rowHash: createHash('md5').update(dataJson).digest('hex'),
    sourceUpdatedAt: sourceUpdatedAt(entity, row),
  };
}

// One statement per batch. `unchanged` finds the rows whose hash the mirror already has with a
// read-only probe of the primary key: they are not handed to INSERT … ON CONFLICT at all, because
// even a DO UPDATE whose WHERE is false locks the existing tuple (a header write and WAL per row),
// which made a full run over an unchanged view as slow as a first load. Their data stays text and
// is not parsed into jsonb. A full run passes its id and the unchanged keys are recorded as seen by
// it in md_sync_seen, so the closing sweep can tell them from rows the source no longer has
// (changed and new rows carry the run's time in synced_at). A narrow key in an unlogged table is
// far cheaper than re-stamping the wide mirror row, and an unchanged row keeps the time the mirror
// last wrote it, which is what a record's sync_time says.
// The WHERE on DO UPDATE still skips a row that became equal meanwhile (a concurrent read-through).
// `m.xmax = 0` holds only for a tuple this statement inserted (an updated tuple carries our xid),
// which tells inserts from updates without a second query.
const UPSERT_SQL = `WITH input AS MATERIALIZED (
  SELECT r.k, r.d, r.s, r.h, r.u FROM json_to_recordset(?::json) AS r(k text, d text, s text, h text, u timestamptz)
), unchanged AS MATERIALIZED (
  SELECT i.k FROM input AS i JOIN md_record AS m ON m.entity = ? AND m.record_key = i.k AND m.row_hash = i.h
), seen AS (
  INSERT INTO md_sync_seen (run_id, entity, record_key)
  SELECT ?::uuid, ?, u.k FROM unchanged AS u WHERE ?::uuid IS NOT NULL
  ON CONFLICT (run_id, record_key) DO NOTHING
)
INSERT INTO md_record AS m (entity, record_key, data, search_text, row_hash, source_updated_at, synced_at)
SELECT ?, i.k, i.d::jsonb, i.s, i.h, i.u, COALESCE(?::timestamptz, now())
FROM input AS i WHERE NOT EXISTS (SELECT 1 FROM unchanged AS x WHERE x.k = i.k)
ON CONFLICT (entity, record_key) DO UPDATE SET
  data = EXCLUDED.data, search_text = EXCLUDED.search_text, row_hash = EXCLUDED.row_hash,
  source_updated_at = EXCLUDED.source_updated_at, synced_at = EXCLUDED.synced_at
WHERE m.row_hash IS DISTINCT FROM EXCLUDED.row_hash
RETURNING m.record_key AS k, (m.xmax::text = '0') AS inserted`;

/** Parameters of {@link UPSERT_SQL} in placeholder order. */
function upsertParams(entity: EntityDef, rowsJson: string, syncTime: string | null, seenByRun: string | null): unknown[] {
  return [rowsJson, entity.name, seenByRun, entity.name, seenByRun, entity.name, syncTime];
}

const FORGET_RUN_SEEN_SQL = 'DELETE FROM md_sync_seen WHERE run_id = ?::uuid';
const FORGET_ENTITY_SEEN_SQL = 'DELETE FROM md_sync_seen WHERE entity = ?';

// Keyset over the primary key from the last deleted key: each chunk continues where the previous
// one stopped, so a sweep of a large entity stays linear instead of rescanning from the start.
// A row survives when this run wrote it (synced_at from the run's start on) or recorded it as
// seen; the anti-join probes md_sync_seen's primary key. The last key is taken by PostgreSQL (its
// collation orders the keys, not JavaScript's).
const SWEEP_SQL = `WITH doomed AS (
  SELECT m.record_key FROM md_record AS m
  WHERE m.entity = ? AND m.record_key > ? AND m.synced_at < ?::timestamptz
    AND NOT EXISTS (SELECT 1 FROM md_sync_seen AS s WHERE s.run_id = ?::uuid AND s.record_key = m.record_key)
  ORDER BY m.record_key LIMIT ?
), gone AS (
  DELETE FROM md_record AS m USING doomed
  WHERE m.entity = ? AND m.record_key = doomed.record_key
  RETURNING m.record_key
)
SELECT gone.record_key AS k, (SELECT max(record_key) FROM doomed) AS last FROM gone`;

const ROW_COUNT_DELTA_SQL = `INSERT INTO md_sync_state (entity, row_count) VALUES (?, ?)
ON CONFLICT (entity) DO UPDATE SET row_count = md_sync_state.row_count + EXCLUDED.row_count`;

const ROW_COUNT_EXACT_SQL = `INSERT INTO md_sync_state (entity, row_count)
SELECT ?, count(*) FROM md_record WHERE entity = ?
ON CONFLICT (entity) DO UPDATE SET row_count = EXCLUDED.row_count`;

function executorOf(em: EntityManager): QueryExecutor {
  const transaction = em.getTransactionContext<QueryExecutor>();
  if (transaction) return transaction;
  // Every MikroORM 7 SQL driver (PostgreSQL, PGlite) connects through Kysely.
  return (em.getConnection() as unknown as { getClient(): QueryExecutor }).getClient();
}

/** Runs `sql` with `?` placeholders (numbered here, as PostgreSQL expects) as bound parameters. */
async function execute<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  let position = 0;
  const numbered = sql.replace(/\?/g, () => `$${++position}`);
  const result = await executorOf(em).executeQuery(CompiledQuery.raw(numbered, params) as CompiledQuery<T>);
  return result.rows;
}

function batchJson(rows: Iterable<MirrorRow>): string {
  const parts: string[] = [];
  for (const row of rows) {
    // dataJson is spliced in as-is (it is already JSON) so each row is serialised exactly once.
    parts.push(
      `{"k":${JSON.stringify(row.recordKey)},"d":${row.dataJson},"s":${JSON.stringify(row.searchText)},` +
        `"h":"${row.rowHash}","u":${row.sourceUpdatedAt ? `"${row.sourceUpdatedAt.toISOString()}"` : 'null'}}`,
    );
  }
  return `[${parts.join(',')}]`;
}

/**
 * Inserts new rows and rewrites changed ones (by row hash) in one statement; unchanged rows are
 * not written. With `seenByRun` (a full run's id) the unchanged keys are recorded as seen by that
 * run, so {@link sweepUnseen} can delete what the run did not see. Runs in `em`'s transaction if any.
 */
export async function upsertBatch(
  em: EntityManager,
  entity: EntityDef,
  rows: readonly SourceRow[],
  syncTime: Date,
  options: { seenByRun?: string } = {},
): Promise<BatchWriteResult> {
  // A view with a duplicated key would make ON CONFLICT touch one row twice in a statement, which
  // PostgreSQL rejects; the last row of the batch wins, as it would across batches.
  const byKey = new Map<string, MirrorRow>();
  for (const row of rows) {
    const mirrorRow = toMirrorRow(entity, row);
    byKey.set(mirrorRow.recordKey, mirrorRow);
  }
  const duplicates = rows.length - byKey.size;
  if (byKey.size === 0) return { changedKeys: [], inserted: 0, updated: 0, duplicates };

  const written = await execute<{ k: string; inserted: boolean }>(
    em,
    UPSERT_SQL,
    upsertParams(entity, batchJson(byKey.values()), syncTime.toISOString(), options.seenByRun ?? null),
  );
  const changedKeys = written.map((row) => row.k);
  const inserted = written.filter((row) => row.inserted).length;
  return { changedKeys, inserted, updated: changedKeys.length - inserted, duplicates };
}

/**
 * Writes one row read through from the source on a mirror miss (keeps `md_sync_state.row_count`
 * right when it is new). `synced_at` is the database's clock, as for sync runs. Returns whether
 * the mirror changed.
 */
export async function upsertOne(em: EntityManager, entity: EntityDef, row: SourceRow): Promise<{ changed: boolean; inserted: boolean }> {
  return em.transactional(async (tem) => {
    const written = await execute<{ k: string; inserted: boolean }>(
      tem,
      UPSERT_SQL,
      upsertParams(entity, batchJson([toMirrorRow(entity, row)]), null, null),
    );
    const inserted = written[0]?.inserted === true;
    if (inserted) await addToRowCount(tem, entity, 1);
    return { changed: written.length > 0, inserted };
  });
}

/** One chunk of {@link sweepUnseen}: the deleted keys and where the next chunk starts. */
export interface SweepChunk {
  readonly deletedKeys: string[];
  /** Pass as `afterKey` to the next call; undefined when this chunk was the last. */
  readonly nextAfterKey?: string;
}

/**
 * Deletes up to `limit` rows of the entity that the full run `run` did not see — neither written
 * by it (`synced_at` before its start) nor recorded as seen by {@link upsertBatch} — with a key
 * after `afterKey` ('' for the first chunk). Chunked so the deleted keys can be invalidated
 * without ever holding all of them.
 */
export async function sweepUnseen(
  em: EntityManager,
  entity: EntityDef,
  run: { id: string; startedAt: Date },
  afterKey: string,
  limit: number,
): Promise<SweepChunk> {
  const deleted = await execute<{ k: string; last: string }>(em, SWEEP_SQL, [
    entity.name,
    afterKey,
    run.startedAt.toISOString(),
    run.id,
    limit,
    entity.name,
  ]);
  const deletedKeys = deleted.map((row) => row.k);
  return { deletedKeys, nextAfterKey: deleted.length < limit ? undefined : deleted[0]?.last };
}

/**
 * Drops the seen keys of one run (`{ runId }`, when it ends) or every run of an entity
 * (`{ entity }`, when a full run starts: under the entity's lock any left are from a run that
 * died before its end).
 */
export async function forgetSeenKeys(em: EntityManager, of: { runId: string } | { entity: EntityDef }): Promise<void> {
  if ('runId' in of) await execute(em, FORGET_RUN_SEEN_SQL, [of.runId]);
  else await execute(em, FORGET_ENTITY_SEEN_SQL, [of.entity.name]);
}

/** Adjusts the entity's mirrored row count by `delta` (creating its state row if needed). */
export async function addToRowCount(em: EntityManager, entity: EntityDef, delta: number): Promise<void> {
  if (delta === 0) return;
  await execute(em, ROW_COUNT_DELTA_SQL, [entity.name, delta]);
}

/** Recounts the entity's mirrored rows (after a full run, correcting any drift of the deltas). */
export async function recountRows(em: EntityManager, entity: EntityDef): Promise<number> {
  await execute(em, ROW_COUNT_EXACT_SQL, [entity.name, entity.name]);
  const [state] = await execute<{ row_count: string | number }>(em, 'SELECT row_count FROM md_sync_state WHERE entity = ?', [
    entity.name,
  ]);
  return Number(state?.row_count ?? 0);
}

/** The database's clock: every replica stamps `synced_at` from the one clock the sweep compares. */
export async function databaseNow(em: EntityManager): Promise<Date> {
  const [row] = await execute<{ now: Date | string }>(em, 'SELECT clock_timestamp() AS now', []);
  return new Date(row?.now ?? Date.now());
}
