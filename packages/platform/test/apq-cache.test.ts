import { redisUrl, startTcpProxy, testLogger, uniquePrefix } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKeyValueCache } from '../src/apq-cache.js';
import { createLogger, createMetrics, createRedis, type Redis, redisReady } from '../src/index.js';

const logger = testLogger();
let redis: Redis;

beforeAll(async () => {
  redis = createRedis(redisUrl(), logger);
  expect(await redisReady(redis)).toBe(true);
});
afterAll(() => {
  redis.disconnect();
});

describe('createRedisKeyValueCache', () => {
  it('stores, reads and deletes under its prefix, with the default TTL or the one given', async () => {
    const prefix = uniquePrefix('kv');
    const cache = createRedisKeyValueCache({ redis, prefix, defaultTtlSeconds: 120, logger });
    expect(await cache.get('apq:abc')).toBeUndefined();
    await cache.set('apq:abc', '{ __typename }');
    expect(await cache.get('apq:abc')).toBe('{ __typename }');
    expect(await redis.get(`${prefix}apq:abc`)).toBe('{ __typename }');
    expect(await redis.ttl(`${prefix}apq:abc`)).toBeGreaterThan(110);

    await cache.set('short', 'x', { ttl: 5 });
    expect(await redis.ttl(`${prefix}short`)).toBeLessThanOrEqual(5);
    await cache.set('forever', 'y', { ttl: null });
    expect(await redis.ttl(`${prefix}forever`)).toBe(-1);

    expect(await cache.delete('apq:abc')).toBe(true);
    expect(await cache.delete('apq:abc')).toBe(false);
    expect(await cache.get('apq:abc')).toBeUndefined();
    await redis.del(`${prefix}short`, `${prefix}forever`);
  });

  it('expires entries', async () => {
    const prefix = uniquePrefix('kv-expiry');
    const cache = createRedisKeyValueCache({ redis, prefix, logger });
    await cache.set('k', 'v', { ttl: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await cache.get('k')).toBeUndefined();
  });

  it('while Redis is unreachable: reads are misses, writes reject, and each failure is counted and logged', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(redisUrl()).port || 6379));
    const client = createRedis(`redis://127.0.0.1:${proxy.port}`, logger);
    const lines: string[] = [];
    const capture = createLogger('kv-test', { level: 'warn', destination: { write: (line: string) => lines.push(line) } });
    const metrics = createMetrics();
    const prefix = uniquePrefix('kv-outage');
    try {
      expect(await redisReady(client)).toBe(true);
      const cache = createRedisKeyValueCache({ redis: client, prefix, logger: capture, metrics });
      await cache.set('k', 'v');
      proxy.cut();
      expect(await cache.get('k')).toBeUndefined();
      await expect(cache.set('k', 'w')).rejects.toThrow();
      const text = await metrics.registry.metrics();
      expect(text).toMatch(new RegExp(`kv_cache_errors_total\\{cache="${prefix}",operation="get"\\} 1`));
      expect(text).toMatch(new RegExp(`kv_cache_errors_total\\{cache="${prefix}",operation="set"\\} 1`));
      expect(lines.join('')).toMatch(/redis cache operation failed/);
      proxy.restore();
      expect(await redisReady(client, 5_000)).toBe(true);
      expect(await cache.get('k')).toBe('v');
      await redis.del(`${prefix}k`);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('refuses a default TTL that is not a positive integer', () => {
    expect(() => createRedisKeyValueCache({ redis, prefix: 'p:', defaultTtlSeconds: 0, logger })).toThrow(/positive integer/);
  });
});
