import { redisUrl, startTcpProxy, testLogger, uniquePrefix, type TcpProxy } from '@core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryCache,
  createMetrics,
  createRedis,
  createRedisCache,
  createTieredCache,
  redisReady,
  singleFlight,
  type Cache,
} from '../src/index.js';

const logger = testLogger();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: Redis;
beforeAll(async () => {
  redis = createRedis(redisUrl(), logger);
  expect(await redisReady(redis)).toBe(true);
});
afterAll(async () => {
  redis.disconnect();
});

describe.each([
  ['redis', () => createRedisCache(redis, { prefix: uniquePrefix('cache'), logger })],
  ['memory', () => createMemoryCache({ maxEntries: 100, prefix: 'c:' })],
  [
    'tiered',
    () =>
      createTieredCache({
        remote: createRedisCache(redis, { prefix: uniquePrefix('tiered'), logger }),
        local: { maxEntries: 100, ttlMs: 60_000 },
        logger,
      }),
  ],
] as const)('%s cache', (_kind, make) => {
  let cache: Cache;
  beforeAll(() => {
    cache = make();
  });

  it('returns what was set and a miss for unknown keys', async () => {
    await cache.set('customer:C001', '{"name":"Toko Maju"}', 60);
    expect(await cache.get('customer:C001')).toBe('{"name":"Toko Maju"}');
    expect(await cache.get('customer:C404')).toBeUndefined();
  });

  it('reads and writes in batches, keeping order', async () => {
    await cache.setMany([
      { key: 'b:1', value: 'one', ttlSeconds: 60 },
      { key: 'b:2', value: 'two', ttlSeconds: 60 },
    ]);
    expect(await cache.getMany(['b:2', 'b:missing', 'b:1'])).toEqual(['two', undefined, 'one']);
    expect(await cache.getMany([])).toEqual([]);
  });

  it('deletes and counts what existed', async () => {
    await cache.set('d:1', 'x', 60);
    expect(await cache.delete(['d:1', 'd:2'])).toBe(1);
    expect(await cache.get('d:1')).toBeUndefined();
  });

  it('expires entries after their TTL', async () => {
    await cache.set('ttl:1', 'short', 1);
    expect(await cache.get('ttl:1')).toBe('short');
    await sleep(1_200);
    expect(await cache.get('ttl:1')).toBeUndefined();
  });
});

describe('redis cache during a Redis outage', () => {
  let proxy: TcpProxy;
  let proxied: Redis;
  let cache: Cache;
  const metrics = createMetrics();

  beforeAll(async () => {
    const target = new URL(redisUrl());
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    proxied = createRedis(`redis://127.0.0.1:${proxy.port}`, logger);
    expect(await redisReady(proxied)).toBe(true);
    cache = createRedisCache(proxied, { prefix: uniquePrefix('outage'), logger, metrics });
  });

  afterAll(async () => {
    proxied.disconnect();
    await proxy.close();
  });

  it('answers misses quickly instead of throwing, counts the failures, and recovers', async () => {
    await cache.set('k', 'before', 60);
    expect(await cache.get('k')).toBe('before');

    proxy.cut();
    const started = Date.now();
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.getMany(['k', 'j'])).toEqual([undefined, undefined]);
    await cache.set('k', 'during', 60);
    await cache.setMany([{ key: 'j', value: 'during', ttlSeconds: 60 }]);
    expect(await cache.delete(['k'])).toBe(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    const errors = (await metrics.registry.getSingleMetricAsString('cache_errors_total')).split('\n');
    expect(errors.find((line) => line.startsWith('cache_errors_total{operation="get"}'))).toMatch(/ 1$/);

    proxy.restore();
    await expect.poll(() => cache.get('k'), { timeout: 10_000, interval: 200 }).toBe('before');
  });
});

describe('singleFlight', () => {
  it('runs one load for concurrent callers of a key and a new load afterwards', async () => {
    const flights = singleFlight<string, string>();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await sleep(50);
      return `value-${loads}`;
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => flights.run('CUSTOMER:C001', load)));
    expect(loads).toBe(1);
    expect(new Set(results)).toEqual(new Set(['value-1']));
    expect(await flights.run('CUSTOMER:C001', load)).toBe('value-2');
  });

  it('shares a failure and lets the next caller try again', async () => {
    const flights = singleFlight<string, number>();
    let calls = 0;
    const failing = async () => {
      calls += 1;
      await sleep(10);
      throw new Error('mirror down');
    };
    const outcomes = await Promise.allSettled([flights.run('k', failing), flights.run('k', failing)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(await flights.run('k', async () => 7)).toBe(7);
  });
});
