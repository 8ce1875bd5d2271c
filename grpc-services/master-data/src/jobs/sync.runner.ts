import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import {
  aborted,
  decodePageToken,
  encodePageToken,
  invalidArgument,
  resolvePageSize,
  withLock,
  type Lock,
  type Logger,
  type Metrics,
} from '@core/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import { addToRowCount, databaseNow, forgetSeenKeys, recountRows, sweepUnseen, upsertBatch } from '../data/mirror-writer.js';
import type { RecordStore } from '../data/record-store.js';
import type { MasterDataSource, SourceRow } from '../data/source.js';
import type { EntityDef } from '../domain/catalogue.types.js';
import type { EntitySyncState, SyncMode, SyncRunRecord, SyncTrigger } from '../domain/sync-run.js';
import { lagSeconds, laterOf, nextWatermark, readSince, resolveSyncMode, sourceUpdatedAt } from '../domain/sync-rules.js';
import {
  findRun,
  findRuns,
  isRunning,
  loadLastSuccesses,
  loadState,
  loadStates,
  recordRunFailed,
  recordRunStarted,
  recordRunSucceeded,
  runningEntities,
  type RunProgress,
} from './sync.history.js';

/** What to run and on whose behalf. */
export interface SyncRequest {
  /** Requested mode; entities without an updated-at column (or without a watermark yet) run full. */
  readonly mode: SyncMode;
  readonly trigger: SyncTrigger;
  readonly triggeredBy: string;
  /** Stops the run between batches (the run is then recorded as failed). */
  readonly signal?: AbortSignal;
  /**
   * Runs in the transaction that records the run as started, so a manual trigger's audit event
   * exists exactly when the run does.
   */
  readonly onRecorded?: (em: EntityManager, run: SyncRunRecord) => Promise<void>;
}

/** One page of the run history. */
export interface SyncRunPage {
  readonly runs: SyncRunRecord[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/** Runs and reports syncs of catalogue entities from the source into the mirror. */
export interface SyncRunner {
  /**
   * Runs a sync to the end and returns its record — status `failed` (with the error) when the source
   * or the mirror failed, since the failure is part of the history, not the caller's mistake.
   * Throws ABORTED 'SYNC_IN_PROGRESS' when a run of the entity holds the lock on any replica.
   */
  run(entity: EntityDef, request: SyncRequest): Promise<SyncRunRecord>;
  /**
   * Takes the lock, records the run as running and returns that record; the run continues in the
   * background. Throws ABORTED 'SYNC_IN_PROGRESS' like {@link run}.
   */
  start(entity: EntityDef, request: SyncRequest): Promise<SyncRunRecord>;
  getRun(id: string): Promise<SyncRunRecord | undefined>;
  /** History newest first; `pageSize` 0 means 50, at most 200; tokens are platform page tokens. */
  listRuns(query: { entity?: string; pageSize: number; pageToken?: string }): Promise<SyncRunPage>;
  entityState(entity: EntityDef): Promise<EntitySyncState>;
  /** States of several entities with two queries in all (for listing the catalogue). */
  entityStates(entities: readonly EntityDef[]): Promise<EntitySyncState[]>;
  /** Aborts runs this process started in the background and waits for them to record their end. */
  close(): Promise<void>;
}

/** Dependencies and tuning of {@link createSyncRunner}. */
export interface SyncRunnerOptions {
  orm: MikroORM;
  source: MasterDataSource;
  /** Where changed and deleted keys are invalidated after each committed batch. */
  store: Pick<RecordStore, 'invalidate' | 'invalidateAll'>;
  /** Shared across replicas (Redis) so one run per entity holds 'sync:<entity>' at a time. */
  lock: Lock;
  logger: Logger;
  metrics?: Metrics;
  /** Recorded on each run; defaults to host:pid. */
  runnerId?: string;
  /** Rows per source batch and per mirror statement. */
  batchSize?: number;
  /** Incremental runs re-read this many seconds before the watermark (late-committing rows). */
  overlapSeconds?: number;
  /** Lock expiry; renewed every third of it while the run is alive, so a dead replica frees it soon. */
  lockTtlMs?: number;
  /** Deleted keys of a full run invalidated one by one; beyond that the entity's cache is dropped whole. */
  maxDeletedKeysToInvalidate?: number;
}

const HISTORY_PAGE = { defaultSize: 50, maxSize: 200 };
const SWEEP_CHUNK = 1000;

const pageTokenSchema = z.object({ e: z.string(), s: z.string().datetime(), i: z.string().uuid() });

function syncInProgress(entity: EntityDef): Error {
  return aborted('SYNC_IN_PROGRESS', `a sync of ${entity.name} is already running`, { entity: entity.name });
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function metricOf<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** The sync's Prometheus instruments (shared when several runners use one registry, as tests do). */
function createSyncMetrics(metrics: Metrics | undefined, lastSuccesses: () => Promise<Array<{ entity: string; lastSuccessAt: Date }>>, logger: Logger) {
  if (!metrics) return undefined;
  const registers = [metrics.registry];
  // Lag and last success are read from md_sync_state at scrape time: a run on another replica
  // moves them too, and lag must keep growing while nothing succeeds.
  const collectFreshness = async (set: (entity: string, lastSuccessAt: Date) => void) => {
    try {
      for (const { entity, lastSuccessAt } of await lastSuccesses()) set(entity, lastSuccessAt);
    } catch (err) {
      logger.warn({ err }, 'sync freshness metrics not collected: mirror unreachable');
    }
  };
  return {
    duration: metricOf(
      metrics.registry,
      'masterdata_sync_duration_seconds',
      () =>
        new Histogram({
          name: 'masterdata_sync_duration_seconds',
          help: 'Duration of sync runs',
          labelNames: ['entity', 'mode', 'status'] as const,
          buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
          registers,
        }),
    ),
    rows: metricOf(
      metrics.registry,
      'masterdata_sync_rows_total',
      () =>
        new Counter({
          name: 'masterdata_sync_rows_total',
          help: 'Rows processed by sync runs: read from the source, inserted, updated or deleted in the mirror',
          labelNames: ['entity', 'op'] as const,
          registers,
        }),
    ),
    errors: metricOf(
      metrics.registry,
      'masterdata_sync_errors_total',
      () =>
        new Counter({
          name: 'masterdata_sync_errors_total',
          help: 'Sync failures by stage (run = the run failed; invalidate = cache invalidation after a write failed; cleanup = a failed run\'s seen keys were not dropped)',
          labelNames: ['entity', 'stage'] as const,
          registers,
        }),
    ),
    lag: metricOf(
      metrics.registry,
      'masterdata_sync_lag_seconds',
      () =>
        new Gauge({
          name: 'masterdata_sync_lag_seconds',
          help: 'Seconds since the last successful sync of the entity finished',
          labelNames: ['entity'] as const,
          registers,
          async collect() {
            const now = Date.now();
            await collectFreshness((entity, at) => this.set({ entity }, (now - at.getTime()) / 1000));
          },
        }),
    ),
    lastSuccess: metricOf(
      metrics.registry,
      'masterdata_sync_last_success_timestamp',
      () =>
        new Gauge({
          name: 'masterdata_sync_last_success_timestamp',
          help: 'Unix time (seconds) the last successful sync of the entity finished',
          labelNames: ['entity'] as const,
          registers,
          async collect() {
            await collectFreshness((entity, at) => this.set({ entity }, at.getTime() / 1000));
          },
        }),
    ),
  };
}

/**
 * The sync runner: under the platform lock 'sync:<entity>' it streams the source in batches into
 * the mirror (one set-based statement per batch, unchanged rows not rewritten), invalidates the
 * changed keys in the hot cache after each commit, reconciles deletions on full runs, and keeps
 * the run history and the entity's watermark. Memory is bounded by two batches whatever the view.
 */
export function createSyncRunner(options: SyncRunnerOptions): SyncRunner {
  const { orm, source, store, lock, logger } = options;
  const runnerId = options.runnerId ?? `${hostname()}:${process.pid}`;
  const batchSize = options.batchSize ?? 1000;
  const overlapSeconds = options.overlapSeconds ?? 600;
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  const maxDeletedKeys = options.maxDeletedKeysToInvalidate ?? 10_000;
  const fork = (): EntityManager => orm.em.fork();
  const metrics = createSyncMetrics(options.metrics, () => loadLastSuccesses(fork()), logger);
  const closing = new AbortController();
  const background = new Set<Promise<unknown>>();

  /** Invalidation failures never fail a run (the rows are committed); the entity is dropped whole instead. */
  async function invalidate(entity: EntityDef, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await store.invalidate(entity, keys);
    } catch (err) {
      metrics?.errors.inc({ entity: entity.name, stage: 'invalidate' });
      logger.error({ err, entity: entity.name, keys: keys.length }, 'cache invalidation after sync failed; dropping the entity cache');
      try {
        await store.invalidateAll(entity);
      } catch (allErr) {
        logger.error({ err: allErr, entity: entity.name }, 'entity cache drop failed; stale entries live until their TTL');
      }
    }
  }

  /** The body of one run, while holding the lock. `onStarted` fires once the run is recorded. */
  async function execute(
    entity: EntityDef,
    request: SyncRequest,
    lockSignal: AbortSignal,
    onStarted: (run: SyncRunRecord) => void,
  ): Promise<SyncRunRecord> {
    const signal = AbortSignal.any([lockSignal, closing.signal, ...(request.signal ? [request.signal] : [])]);
    const em = fork();
    const startedAt = await databaseNow(em);
    const state = await loadState(em, entity);
    const mode = resolveSyncMode(entity, request.mode, state.watermark);
    const since = readSince(mode, state.watermark, overlapSeconds);
    const run = await recordRunStarted(em, {
      id: randomUUID(),
      entity,
      mode,
      trigger: request.trigger,
      triggeredBy: request.triggeredBy,
      startedAt,
      watermarkFrom: state.watermark,
      runner: runnerId,
    }, request.onRecorded);
    onStarted(run);
    const log = logger.child({ entity: entity.name, runId: run.id, mode });
    log.info({ trigger: request.trigger, triggeredBy: request.triggeredBy, since }, 'sync started');

    let progress: RunProgress = { rowsRead: 0, rowsUpserted: 0, rowsDeleted: 0 };
    let maxSeen: Date | undefined;
    try {
      // Full runs record the keys they read without rewriting, so the closing sweep deletes exactly
      // the unseen rows. Keys left by a run that died mid-way would only waste space: drop them.
      if (mode === 'full') await forgetSeenKeys(em, { entity });
      const seen = mode === 'full' ? { seenByRun: run.id } : {};
      const writeBatch = async (tem: EntityManager, rows: SourceRow[]) => {
        const written = await upsertBatch(tem, entity, rows, startedAt, seen);
        await addToRowCount(tem, entity, written.inserted);
        if (written.duplicates > 0) log.warn({ duplicates: written.duplicates }, 'source batch repeated keys; the last row of each key was kept');
        for (const row of rows) maxSeen = laterOf(maxSeen, sourceUpdatedAt(entity, row));
        progress = { ...progress, rowsRead: progress.rowsRead + rows.length, rowsUpserted: progress.rowsUpserted + written.changedKeys.length };
        metrics?.rows.inc({ entity: entity.name, op: 'read' }, rows.length);
        metrics?.rows.inc({ entity: entity.name, op: 'inserted' }, written.inserted);
        metrics?.rows.inc({ entity: entity.name, op: 'updated' }, written.updated);
        return written.changedKeys;
      };

      // Each batch commits on its own (a failed run keeps what it applied); the last batch shares its
      // transaction with the sweep and the state update, so the watermark moves only with the data.
      // One batch is read ahead to know which batch is the last.
      const batches = source.read(entity, { since, batchSize, signal })[Symbol.asyncIterator]();
      let deletedKeys: string[] = [];
      let dropWholeCache = false;
      try {
        let current = await batches.next();
        for (;;) {
          signal.throwIfAborted();
          const next = current.done ? current : await batches.next();
          signal.throwIfAborted();
          if (!next.done) {
            const rows = current.value as SourceRow[];
            const changed = await fork().transactional((tem) => writeBatch(tem, rows));
            await invalidate(entity, changed);
            current = next;
            continue;
          }
          const lastRows = current.done ? [] : (current.value as SourceRow[]);
          const changed = await fork().transactional(async (tem) => {
            const lastChanged = await writeBatch(tem, lastRows);
            if (mode === 'full') {
              let afterKey: string | undefined = '';
              let deleted = 0;
              while (afterKey !== undefined) {
                const chunk = await sweepUnseen(tem, entity, { id: run.id, startedAt }, afterKey, SWEEP_CHUNK);
                deleted += chunk.deletedKeys.length;
                if (!dropWholeCache) deletedKeys.push(...chunk.deletedKeys);
                if (deletedKeys.length > maxDeletedKeys) {
                  dropWholeCache = true;
                  deletedKeys = [];
                }
                afterKey = chunk.nextAfterKey;
              }
              progress = { ...progress, rowsDeleted: deleted };
              await forgetSeenKeys(tem, { runId: run.id });
              await recountRows(tem, entity);
            }
            await recordRunSucceeded(tem, {
              id: run.id,
              entity,
              mode,
              finishedAt: await databaseNow(tem),
              watermarkTo: nextWatermark(state.watermark, maxSeen, startedAt),
              progress,
            });
            return lastChanged;
          });
          await invalidate(entity, changed);
          break;
        }
      } finally {
        await batches.return?.();
      }
      metrics?.rows.inc({ entity: entity.name, op: 'deleted' }, progress.rowsDeleted);
      if (dropWholeCache) await store.invalidateAll(entity).catch((err: unknown) => log.error({ err }, 'entity cache drop after sweep failed'));
      else await invalidate(entity, deletedKeys);

      const finished = (await findRun(fork(), run.id)) as SyncRunRecord;
      const seconds = ((finished.finishedAt ?? new Date()).getTime() - startedAt.getTime()) / 1000;
      metrics?.duration.observe({ entity: entity.name, mode, status: 'succeeded' }, seconds);
      log.info({ ...progress, seconds, watermark: finished.watermarkTo }, 'sync succeeded');
      return finished;
    } catch (err) {
      const message = signal.aborted ? `aborted: ${errorMessage(signal.reason)}` : errorMessage(err);
      metrics?.errors.inc({ entity: entity.name, stage: 'run' });
      log.error({ err, ...progress }, 'sync failed');
      const finishedAt = new Date();
      await recordRunFailed(fork(), { id: run.id, finishedAt, error: message, watermarkTo: state.watermark, progress });
      if (mode === 'full') {
        // Not fatal: the next full run of the entity drops them before it starts.
        await forgetSeenKeys(fork(), { runId: run.id }).catch((cleanupErr: unknown) => {
          metrics?.errors.inc({ entity: entity.name, stage: 'cleanup' });
          log.error({ err: cleanupErr }, 'seen keys of the failed run not dropped');
        });
      }
      metrics?.duration.observe({ entity: entity.name, mode, status: 'failed' }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
      return (await findRun(fork(), run.id)) as SyncRunRecord;
    }
  }

  const lockName = (entity: EntityDef) => `sync:${entity.name}`;

  return {
    async run(entity, request) {
      const result = await withLock(lock, lockName(entity), lockTtlMs, (lockSignal) => execute(entity, request, lockSignal, () => {}), {
        logger,
      });
      if (result === undefined) throw syncInProgress(entity);
      return result;
    },

    start(entity, request) {
      return new Promise<SyncRunRecord>((resolve, reject) => {
        let started = false;
        const done = withLock(
          lock,
          lockName(entity),
          lockTtlMs,
          (lockSignal) =>
            execute(entity, request, lockSignal, (run) => {
              started = true;
              resolve(run);
            }),
          { logger },
        ).then(
          (result) => {
            if (result === undefined) reject(syncInProgress(entity));
          },
          (err: unknown) => {
            if (started) logger.error({ err, entity: entity.name }, 'background sync could not record its end');
            else reject(err);
          },
        );
        background.add(done);
        void done.finally(() => background.delete(done));
      });
    },

    getRun(id) {
      return findRun(fork(), id);
    },

    async listRuns({ entity, pageSize, pageToken }) {
      const limit = resolvePageSize(pageSize, HISTORY_PAGE);
      const filter = entity ?? '';
      let after: { startedAt: Date; id: string } | undefined;
      if (pageToken) {
        const token = decodePageToken(pageToken, pageTokenSchema);
        // A token carries its filter: reusing it with another entity filter would skip or repeat runs.
        if (token.e !== filter) {
          throw invalidArgument('INVALID_PAGE_TOKEN', 'page_token is not a token this service issued', [
            { field: 'page_token', description: 'token was issued for another entity filter' },
          ]);
        }
        after = { startedAt: new Date(token.s), id: token.i };
      }
      const runs = await findRuns(fork(), { entity: entity || undefined, after, limit: limit + 1 });
      const page = runs.slice(0, limit);
      const last = page.at(-1);
      const nextPageToken =
        runs.length > limit && last ? encodePageToken({ e: filter, s: last.startedAt.toISOString(), i: last.id }) : '';
      return { runs: page, nextPageToken };
    },

    async entityState(entity) {
      const em = fork();
      const [state, running] = await Promise.all([loadState(em, entity), isRunning(fork(), entity)]);
      return {
        entity: entity.name,
        ...state,
        lagSeconds: lagSeconds(state.lastSuccessAt, new Date()),
        running,
      };
    },

    async entityStates(entities) {
      const [states, running] = await Promise.all([loadStates(fork(), entities), runningEntities(fork(), entities)]);
      const now = new Date();
      return entities.map((entity) => {
        const state = states.get(entity.name) ?? { rowCount: 0 };
        return {
          entity: entity.name,
          ...state,
          lagSeconds: lagSeconds(state.lastSuccessAt, now),
          running: running.has(entity.name),
        };
      });
    },

    async close() {
      closing.abort(new Error('the service is shutting down'));
      await Promise.allSettled([...background]);
    },
  };
}
