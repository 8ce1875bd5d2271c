import type { EntityDef } from './catalogue.types.js';
import type { SyncMode } from './sync-run.js';
import type { SourceRow } from '../data/source.js';

/**
 * The mode a run really uses. Incremental needs an updated-at column and a watermark to count
 * from: without a column there is nothing to filter on, and without a watermark the run reads
 * every row anyway, so it may as well reconcile deletions too.
 */
export function resolveSyncMode(entity: EntityDef, requested: SyncMode, watermark: Date | undefined): SyncMode {
  if (requested === 'full') return 'full';
  if (entity.updatedAt === undefined || watermark === undefined) return 'full';
  return 'incremental';
}

/**
 * Where an incremental read starts: the watermark minus the overlap window, because Oracle rows
 * become visible at commit while their updated-at was stamped earlier; a transaction that commits
 * after a run has read past its timestamp is caught by the next run's overlap. Full runs read all.
 */
export function readSince(mode: SyncMode, watermark: Date | undefined, overlapSeconds: number): Date | undefined {
  if (mode === 'full' || watermark === undefined) return undefined;
  return new Date(watermark.getTime() - overlapSeconds * 1000);
}

/** The row's updated-at value (Oracle DATE, or its ISO text), or undefined when absent or unparseable. */
export function sourceUpdatedAt(entity: EntityDef, row: SourceRow): Date | undefined {
  if (entity.updatedAt === undefined) return undefined;
  const value = row[entity.updatedAt];
  if (value === null || value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The later of two instants, ignoring absent ones. */
export function laterOf(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.getTime() > a.getTime() ? b : a;
}

/**
 * The watermark after a successful run: the highest updated-at seen, never earlier than before
 * (an incremental run over the overlap window may see only older rows), and never later than the
 * run's start, so a row stamped in the future by a skewed source clock cannot push the watermark
 * past rows that have not been written yet.
 */
export function nextWatermark(current: Date | undefined, maxSeen: Date | undefined, runStartedAt: Date): Date | undefined {
  const capped = maxSeen !== undefined && maxSeen.getTime() > runStartedAt.getTime() ? runStartedAt : maxSeen;
  return laterOf(current, capped);
}

/** Whole seconds since the last successful run finished; -1 when none ever has (proto `lag_seconds`). */
export function lagSeconds(lastSuccessAt: Date | undefined, now: Date): number {
  if (lastSuccessAt === undefined) return -1;
  return Math.max(0, Math.floor((now.getTime() - lastSuccessAt.getTime()) / 1000));
}
