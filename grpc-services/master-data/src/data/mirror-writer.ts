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

// `m.xmax = 0` holds only for a tuple this statement inserted (an updated tuple carries our xid),
// which tells inserts from updates without a second query. The WHERE on DO UPDATE is what skips
// unchanged rows: they produce no new tuple, no WAL and no RETURNING row.
const UPSERT_SQL = `INSERT INTO md_record AS m (entity, record_key, data, search_text, row_hash, source_updated_at, synced_at)
SELECT ?, r.k, r.d, r.s, r.h, r.u, COALESCE(?::timestamptz, now())
FROM json_to_recordset(?::json) AS r(k text, d jsonb, s text, h text, u timestamptz)
ON CONFLICT (entity, record_key) DO UPDATE SET
  data = EXCLUDED.data, search_text = EXCLUDED.search_text, row_hash = EXCLUDED.row_hash,
  source_updated_at = EXCLUDED.source_updated_at, synced_at = EXCLUDED.synced_at
WHERE m.row_hash IS DISTINCT FROM EXCLUDED.row_hash
RETURNING m.record_key AS k, (m.xmax::text = '0') AS inserted`;

// Marks rows a full run read but did not rewrite, so the closing sweep can tell them from rows
// the source no longer has. Only unchanged keys reach it; changed ones already carry the time.
const MARK_SEEN_SQL = `UPDATE md_record SET synced_at = ?::timestamptz
WHERE entity = ? AND record_key IN (SELECT json_array_elements_text(?::json)) AND synced_at < ?::timestamptz`;

// Keyset over the primary key from the last deleted key: each chunk continues where the previous
// one stopped, so a sweep of a large entity stays linear instead of rescanning from the start.
// The last key is taken by PostgreSQL (its collation orders the keys, not JavaScript's).
const SWEEP_SQL = `WITH doomed AS (
  SELECT record_key FROM md_record
  WHERE entity = ? AND record_key > ? AND synced_at < ?::timestamptz
  ORDER BY record_key LIMIT ?
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
 * not written. With `markSeen` (full runs) unchanged rows get `synced_at = syncTime` as well, so
 * {@link sweepUnseen} can delete what the run did not see. Runs in `em`'s transaction if any.
 */
export async function upsertBatch(
  em: EntityManager,
  entity: EntityDef,
  rows: readonly SourceRow[],
  syncTime: Date,
  options: { markSeen?: boolean } = {},
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

  const syncTimeText = syncTime.toISOString();
  const written = await execute<{ k: string; inserted: boolean }>(em, UPSERT_SQL, [
    entity.name,
    syncTimeText,
    batchJson(byKey.values()),
  ]);
  const changedKeys = written.map((row) => row.k);
  const inserted = written.filter((row) => row.inserted).length;

  if (options.markSeen && changedKeys.length < byKey.size) {
    const changed = new Set(changedKeys);
    const unchanged = [...byKey.keys()].filter((key) => !changed.has(key));
    await execute(em, MARK_SEEN_SQL, [syncTimeText, entity.name, JSON.stringify(unchanged), syncTimeText]);
  }
  return { changedKeys, inserted, updated: changedKeys.length - inserted, duplicates };
}

/**
 * Writes one row read through from the source on a mirror miss (keeps `md_sync_state.row_count`
 * right when it is new). `synced_at` is the database's clock, as for sync runs. Returns whether
 * the mirror changed.
 */
export async function upsertOne(em: EntityManager, entity: EntityDef, row: SourceRow): Promise<{ changed: boolean; inserted: boolean }> {
  return em.transactional(async (tem) => {
    const written = await execute<{ k: string; inserted: boolean }>(tem, UPSERT_SQL, [
      entity.name,
      null,
      batchJson([toMirrorRow(entity, row)]),
    ]);
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
 * Deletes up to `limit` rows of the entity with `synced_at` before `runStartedAt` (rows a full run
 * did not see) and a key after `afterKey` ('' for the first chunk). Chunked so the deleted keys
 * can be invalidated without ever holding all of them.
 */
export async function sweepUnseen(
  em: EntityManager,
  entity: EntityDef,
  runStartedAt: Date,
  afterKey: string,
  limit: number,
): Promise<SweepChunk> {
  const deleted = await execute<{ k: string; last: string }>(em, SWEEP_SQL, [
    entity.name,
    afterKey,
    runStartedAt.toISOString(),
    limit,
    entity.name,
  ]);
  const deletedKeys = deleted.map((row) => row.k);
  return { deletedKeys, nextAfterKey: deleted.length < limit ? undefined : deleted[0]?.last };
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
