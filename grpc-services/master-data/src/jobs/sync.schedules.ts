import { DomainError, type Logger } from '@core/platform';
import type { EntityDef } from '../domain/catalogue.types.js';
import type { SyncMode } from '../domain/sync-run.js';
import type { SyncRunner } from './sync.runner.js';

/** The part of the platform scheduler the sync needs (`createScheduler(...)` satisfies it). */
export interface SyncScheduler {
  schedule(name: string, cron: string, fn: (signal: AbortSignal) => Promise<void>, options: { lockTtlMs: number }): void;
}

/** Lock expiry of a schedule tick; the scheduler renews it while the run lasts. */
const TICK_LOCK_TTL_MS = 60_000;

/**
 * Registers, per catalogue entity, its incremental and its full-reconcile cron. The scheduler's
 * own lock ('job:<name>') picks one replica per tick; the runner's lock ('sync:<entity>') keeps
 * an incremental and a full run of one entity (or a manual run) from overlapping, and a tick that
 * finds the entity busy is skipped quietly: the running sync is doing the work.
 */
export function registerSyncSchedules(
  scheduler: SyncScheduler,
  runner: SyncRunner,
  catalogue: readonly EntityDef[],
  logger: Logger,
): void {
  const tick = (entity: EntityDef, mode: SyncMode) => async (signal: AbortSignal) => {
    try {
      const run = await runner.run(entity, { mode, trigger: 'schedule', triggeredBy: 'scheduler', signal });
      // A failed run is already logged and recorded by the runner.
      logger.debug({ entity: entity.name, mode, runId: run.id, status: run.status }, 'scheduled sync finished');
    } catch (err) {
      if (err instanceof DomainError && err.reason === 'SYNC_IN_PROGRESS') {
        logger.debug({ entity: entity.name, mode }, 'scheduled sync skipped: a sync of the entity is running');
        return;
      }
      throw err;
    }
  };
  for (const entity of catalogue) {
    scheduler.schedule(`sync:${entity.name}:incremental`, entity.incrementalSchedule, tick(entity, 'incremental'), {
      lockTtlMs: TICK_LOCK_TTL_MS,
    });
    scheduler.schedule(`sync:${entity.name}:full`, entity.fullSchedule, tick(entity, 'full'), { lockTtlMs: TICK_LOCK_TTL_MS });
  }
  logger.info({ entities: catalogue.length }, 'sync schedules registered');
}
