import cron, { type ScheduledTask } from 'node-cron';
import { Counter, Histogram } from 'prom-client';
import type { Lock } from './lock.js';
import { withLock } from './lock.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  lock: Lock;
  logger: Logger;
  /** Time zone the cron expressions are read in; the company runs on WIB. */
  timezone?: string;
  metrics?: Metrics;
}

/** Options of one scheduled job. */
export interface JobOptions {
  /** How long the job's lock lives without renewal; renewed every third of it while the job runs. */
  lockTtlMs: number;
}

/** Runs cron jobs once per tick across all replicas. */
export interface Scheduler {
  schedule(name: string, cronExpression: string, fn: (signal: AbortSignal) => Promise<void>, options: JobOptions): void;
  /** Stops ticking, aborts the running jobs' signals and waits for them to return. */
  stop(): Promise<void>;
}

type Outcome = 'ok' | 'failed' | 'busy' | 'claimed_elsewhere' | 'overlap' | 'lock_unavailable';

function jobMetrics(metrics: Metrics | undefined) {
  if (!metrics) return undefined;
  const existing = (name: string) => metrics.registry.getSingleMetric(name);
  return {
    runs:
      (existing('scheduler_job_runs_total') as Counter<'job' | 'outcome'> | undefined) ??
      new Counter({
        name: 'scheduler_job_runs_total',
        help: 'Scheduled job ticks on this replica by outcome',
        labelNames: ['job', 'outcome'],
        registers: [metrics.registry],
      }),
    seconds:
      (existing('scheduler_job_duration_seconds') as Histogram<'job'> | undefined) ??
      new Histogram({
        name: 'scheduler_job_duration_seconds',
        help: 'Duration of scheduled job runs',
        labelNames: ['job'],
        buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
        registers: [metrics.registry],
      }),
  };
}

/** Minimum life of a tick claim: longer than any plausible clock skew between replicas. */
const TICK_CLAIM_MIN_MS = 60_000;

/**
 * A cron scheduler for replicated services. Each tick first claims the tick itself
 * (`job:<name>:tick:<time>`, left to expire) so a replica whose timer fires a little later cannot
 * run the same tick after the first finished, then runs under `withLock('job:<name>')` so a run
 * that outlasts its interval is not overlapped by another replica. Overlapping ticks on one
 * replica are skipped; failures are logged and counted, never thrown into the timer.
 */
export function createScheduler({ lock, logger, timezone = 'Asia/Jakarta', metrics }: SchedulerOptions): Scheduler {
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  const counters = jobMetrics(metrics);

  async function tick(name: string, tickAt: Date, fn: (signal: AbortSignal) => Promise<void>, { lockTtlMs }: JobOptions) {
    const log = logger.child({ job: name });
    const count = (outcome: Outcome) => counters?.runs.inc({ job: name, outcome });
    try {
      const tickKey = `job:${name}:tick:${Math.floor(tickAt.getTime() / 1000)}`;
      const claim = await lock.tryAcquire(tickKey, Math.max(lockTtlMs, TICK_CLAIM_MIN_MS));
      if (!claim) return count('claimed_elsewhere');
      const stopTimer = counters?.seconds.startTimer({ job: name });
      const ran = await withLock(
        lock,
        `job:${name}`,
        lockTtlMs,
        async (lockSignal) => {
          log.info('job started');
          await fn(AbortSignal.any([lockSignal, stopping.signal]));
          return true;
        },
        { logger: log },
      );
      stopTimer?.();
      if (ran) {
        log.info('job finished');
        count('ok');
      } else {
        log.info('job still running on another replica; tick skipped');
        count('busy');
      }
    } catch (err) {
      const unavailable = (err as { reason?: string }).reason === 'LOCK_UNAVAILABLE';
      log.error({ err }, unavailable ? 'job skipped: lock backend unavailable' : 'job failed');
      count(unavailable ? 'lock_unavailable' : 'failed');
    }
  }

  return {
    schedule(name, cronExpression, fn, options) {
      if (!cron.validate(cronExpression)) throw new Error(`invalid cron expression for job ${name}: ${cronExpression}`);
      let current: Promise<void> | undefined;
      const task = cron.schedule(
        cronExpression,
        (context) => {
          if (stopping.signal.aborted) return;
          if (current) {
            logger.warn({ job: name }, 'previous run still going on this replica; tick skipped');
            counters?.runs.inc({ job: name, outcome: 'overlap' });
            return;
          }
          const run = tick(name, context.date, fn, options).finally(() => {
            current = undefined;
            running.delete(run);
          });
          current = run;
          running.add(run);
        },
        { timezone, name },
      );
      tasks.push(task);
    },
    async stop() {
      stopping.abort(new Error('scheduler stopping'));
      await Promise.all(tasks.map((task) => task.destroy()));
      await Promise.all([...running]);
    },
  };
}
