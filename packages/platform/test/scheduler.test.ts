import { redisUrl, testLogger, uniquePrefix } from '@core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryLock,
  createMetrics,
  createRedis,
  createRedisLock,
  createScheduler,
  redisReady,
  type Lock,
} from '../src/index.js';

const logger = testLogger();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let first: Redis;
let second: Redis;
beforeAll(async () => {
  first = createRedis(redisUrl(), logger);
  second = createRedis(redisUrl(), logger);
  expect(await Promise.all([redisReady(first), redisReady(second)])).toEqual([true, true]);
});
afterAll(() => {
  first.disconnect();
  second.disconnect();
});

describe('scheduler', () => {
  it('runs each tick once across two replicas sharing a Redis lock, even when one lags', async () => {
    const prefix = uniquePrefix('scheduler');
    const runs: { replica: string; second: number }[] = [];
    const replicas = ['a', 'b'].map((replica, i) => {
      const shared = createRedisLock(i === 0 ? first : second, { prefix });
      // Replica b's timer fires 200 ms late (clock skew, a busy event loop): by then a has
      // finished and released the job lock, so only the tick claim keeps b from a second run.
      const lock: Lock =
        i === 0
          ? shared
          : {
              async tryAcquire(name, ttlMs) {
                await sleep(200);
                return shared.tryAcquire(name, ttlMs);
              },
            };
      const scheduler = createScheduler({ lock, logger });
      scheduler.schedule(
        'refresh-customers',
        '* * * * * *',
        async () => {
          runs.push({ replica, second: Math.floor(Date.now() / 1000) });
          await sleep(20);
        },
        { lockTtlMs: 5_000 },
      );
      return scheduler;
    });
    await sleep(3_500);
    await Promise.all(replicas.map((s) => s.stop()));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const perSecond = new Map<number, number>();
    for (const run of runs) perSecond.set(run.second, (perSecond.get(run.second) ?? 0) + 1);
    expect([...perSecond.values()].every((count) => count === 1)).toBe(true);
  });

  it('skips overlapping ticks on one replica, survives failures and counts outcomes', async () => {
    const metrics = createMetrics();
    const scheduler = createScheduler({ lock: createMemoryLock(), logger, metrics });
    let started = 0;
    scheduler.schedule(
      'slow',
      '* * * * * *',
      async (signal) => {
        started += 1;
        // Outlives every later tick of the test; returns when stop() aborts it.
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
      { lockTtlMs: 5_000 },
    );
    scheduler.schedule(
      'broken',
      '* * * * * *',
      async () => {
        throw new Error('source unreachable');
      },
      { lockTtlMs: 5_000 },
    );
    await sleep(3_200);
    await scheduler.stop();
    expect(started).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/scheduler_job_runs_total\{job="slow",outcome="overlap"\} [1-9]/);
    expect(text).toMatch(/scheduler_job_runs_total\{job="broken",outcome="failed"\} [1-9]/);
  });

  it('stop() aborts the running job and waits for it to return', async () => {
    const scheduler = createScheduler({ lock: createMemoryLock(), logger });
    let finished = false;
    let sawAbort = false;
    scheduler.schedule(
      'long',
      '* * * * * *',
      async (signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        sawAbort = true;
        await sleep(100);
        finished = true;
      },
      { lockTtlMs: 5_000 },
    );
    await sleep(1_300);
    await scheduler.stop();
    expect(sawAbort).toBe(true);
    expect(finished).toBe(true);
  });

  it('refuses an invalid cron expression', () => {
    const scheduler = createScheduler({ lock: createMemoryLock(), logger });
    expect(() => scheduler.schedule('bad', 'every monday', async () => {}, { lockTtlMs: 1_000 })).toThrow(/invalid cron/);
  });
});
