import { redisUrl, startTcpProxy, testLogger, uniquePrefix } from '@core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLock, createRedis, createRedisLock, DomainError, redisReady, withLock, type Lock } from '../src/index.js';

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

describe('redis lock', () => {
  it('lets exactly one of 20 concurrent contenders on two connections win', async () => {
    const prefix = uniquePrefix('lock-race');
    const replicas = [createRedisLock(first, { prefix }), createRedisLock(second, { prefix })];
    const handles = await Promise.all(
      Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.tryAcquire('sync:CUSTOMER', 5_000)),
    );
    const winners = handles.filter((h) => h !== undefined);
    expect(winners).toHaveLength(1);
    await winners[0]!.release();
    expect(await replicas[1]!.tryAcquire('sync:CUSTOMER', 5_000)).toBeDefined();
  });

  it('never releases or extends a lock that expired and was taken by another holder', async () => {
    const prefix = uniquePrefix('lock-owner');
    const a = createRedisLock(first, { prefix });
    const b = createRedisLock(second, { prefix });
    const stale = await a.tryAcquire('job', 100);
    await sleep(200);
    const current = await b.tryAcquire('job', 5_000);
    expect(current).toBeDefined();
    expect(await stale!.extend(5_000)).toBe(false);
    await stale!.release();
    expect(await a.tryAcquire('job', 5_000)).toBeUndefined();
  });

  it('fails fast with UNAVAILABLE LOCK_UNAVAILABLE when Redis is unreachable', async () => {
    const target = new URL(redisUrl());
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const redis = createRedis(`redis://127.0.0.1:${proxy.port}`, logger);
    try {
      expect(await redisReady(redis)).toBe(true);
      const lock = createRedisLock(redis, { prefix: uniquePrefix('lock-down') });
      proxy.cut();
      const started = Date.now();
      const err = await lock.tryAcquire('job', 1_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('UNAVAILABLE');
      expect((err as DomainError).reason).toBe('LOCK_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });
});

describe.each([
  ['redis', () => createRedisLock(first, { prefix: uniquePrefix('with-lock') })],
  ['memory', () => createMemoryLock()],
] as const)('withLock on %s', (_kind, make) => {
  let lock: Lock;
  beforeAll(() => {
    lock = make();
  });

  it('keeps the lock past its TTL while the work runs, then releases it', async () => {
    const result = await withLock(lock, 'long-sync', 300, async (signal) => {
      await sleep(1_000);
      expect(signal.aborted).toBe(false);
      expect(await lock.tryAcquire('long-sync', 300)).toBeUndefined();
      return 'done';
    });
    expect(result).toBe('done');
    const again = await lock.tryAcquire('long-sync', 300);
    expect(again).toBeDefined();
    await again!.release();
  });

  it('returns undefined without running when the lock is busy', async () => {
    const held = await lock.tryAcquire('busy', 5_000);
    let ran = false;
    expect(
      await withLock(lock, 'busy', 5_000, async () => {
        ran = true;
      }),
    ).toBeUndefined();
    expect(ran).toBe(false);
    await held!.release();
  });

  it('releases the lock when the work fails', async () => {
    await expect(withLock(lock, 'failing', 5_000, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const again = await lock.tryAcquire('failing', 5_000);
    expect(again).toBeDefined();
    await again!.release();
  });
});

describe('withLock renewal failure', () => {
  it('aborts the signal when the lock is lost', async () => {
    const prefix = uniquePrefix('lock-lost');
    const lock = createRedisLock(first, { prefix });
    const aborted = await withLock(lock, 'job', 300, async (signal) => {
      // Another party deletes the key (e.g. an operator), so the next renewal finds it gone.
      await second.del(`${prefix}job`);
      await sleep(400);
      return signal.aborted;
    });
    expect(aborted).toBe(true);
  });
});
