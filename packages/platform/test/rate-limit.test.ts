import { redisUrl, startTcpProxy, testLogger, uniquePrefix } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, createRedis, type Redis, redisReady } from '../src/index.js';
import { createRateLimiter, type RateLimiter } from '../src/rate-limit.js';

const logger = testLogger();
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

/** `n` sequential requests of one key; the decisions in order. */
async function consume(limiter: RateLimiter, key: string, n: number) {
  const decisions = [];
  for (let i = 0; i < n; i++) decisions.push(await limiter.consume(key));
  return decisions;
}

describe('createRateLimiter', () => {
  it('in memory: allows `points` requests per key and window, then refuses with the seconds to wait', async () => {
    const limiter = createRateLimiter({ points: 5, durationSeconds: 60, keyPrefix: 'mem', logger });
    const decisions = await consume(limiter, 'client-a', 6);
    expect(decisions.slice(0, 5).map((d) => d.allowed)).toEqual([true, true, true, true, true]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(decisions[5]).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
    expect(decisions[5]!.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(decisions[5]!.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Another key has its own budget.
    expect((await limiter.consume('client-b')).allowed).toBe(true);
  });

  it('in Redis: two limiters on two connections share one budget per key', async () => {
    const keyPrefix = uniquePrefix('rl-shared');
    const a = createRateLimiter({ points: 10, keyPrefix, redis: first, logger });
    const b = createRateLimiter({ points: 10, keyPrefix, redis: second, logger });
    const decisions = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).consume('client')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused).toHaveLength(2);
    for (const d of refused) expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await first.exists(`${keyPrefix}:client`)).toBe(1);
    expect(await first.ttl(`${keyPrefix}:client`)).toBeGreaterThan(50);
  });

  it('starts a new window when the old one expires', async () => {
    const limiter = createRateLimiter({ points: 2, durationSeconds: 1, keyPrefix: uniquePrefix('rl-window'), redis: first, logger });
    expect((await consume(limiter, 'k', 3)).map((d) => d.allowed)).toEqual([true, true, false]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await limiter.consume('k')).allowed).toBe(true);
  });

  it('while Redis is unreachable, limits per process, counts every fallback decision and logs it', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(redisUrl()).port || 6379));
    const redis = createRedis(`redis://127.0.0.1:${proxy.port}`, logger);
    const lines: string[] = [];
    const capture = createLogger('rl-test', { level: 'warn', destination: { write: (line: string) => lines.push(line) } });
    const metrics = createMetrics();
    try {
      expect(await redisReady(redis)).toBe(true);
      const limiter = createRateLimiter({ points: 3, keyPrefix: uniquePrefix('rl-outage'), redis, logger: capture, metrics });
      expect((await limiter.consume('k')).allowed).toBe(true);
      proxy.cut();
      const during = await consume(limiter, 'k', 4);
      // The per-process budget starts fresh: 3 allowed, then refused — never unlimited, never an error.
      expect(during.map((d) => d.allowed)).toEqual([true, true, true, false]);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/rate_limit_store_errors_total\{limiter="test:rl-outage:[^"]+"\} 4/);
      expect(lines.join('')).toMatch(/rate limiter store \(Redis\) failed; limiting per process/);
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });

  it('refuses a budget that is not a positive integer', () => {
    expect(() => createRateLimiter({ points: 0, keyPrefix: 'x', logger })).toThrow(/positive integer/);
    expect(() => createRateLimiter({ points: 1.5, keyPrefix: 'x', logger })).toThrow(/positive integer/);
  });
});
