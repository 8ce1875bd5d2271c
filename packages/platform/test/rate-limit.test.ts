import { connect } from 'node:net';
import { redisUrl, startTcpProxy, testLogger, uniquePrefix } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, createRedis, type Redis, redisReady } from '../src/index.js';
import { createRateLimiter, type RateLimitDecision, type RateLimiter } from '../src/rate-limit.js';

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

/**
 * The client commands naming `prefix` that Redis executes from now on (MONITOR, each as its
 * arguments; the commands a script runs, reported from source "lua", are left out). On a raw
 * socket: under concurrent traffic ioredis' monitor() can read a monitored command arriving with
 * MONITOR's OK as a stray reply and fail ("Command queue state error").
 */
async function monitorCommands(prefix: string): Promise<{ commands: string[][]; close(): void }> {
  const url = new URL(redisUrl());
  const socket = connect(Number(url.port || 6379), url.hostname);
  const commands: string[][] = [];
  const resp = (...args: string[]) => `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  const auth = url.password ? [decodeURIComponent(url.username || 'default'), decodeURIComponent(url.password)] : undefined;
  let oks = auth ? 2 : 1;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line.startsWith('-')) reject(new Error(`MONITOR: ${line}`));
        else if (line === '+OK' && oks > 0) {
          oks -= 1;
          if (oks === 0) resolve();
        } else if (line.includes(prefix) && !/^\+\S+ \[\d+ lua\]/.test(line)) {
          // +<time> [<db> <address>] "name" "arg" …; our arguments are plain text (no quotes to unescape).
          commands.push([...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!));
        }
      }
    });
    socket.write((auth ? resp('AUTH', ...auth) : '') + resp('MONITOR'));
  });
  return { commands, close: () => socket.destroy() };
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

  it('in Redis: a burst in one event-loop turn is decided exactly as if each call went alone, in call order', async () => {
    const keyPrefix = uniquePrefix('rl-burst');
    const limiter = createRateLimiter({ points: 60, keyPrefix, redis: first, logger });
    const decisions = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('client')));
    expect(decisions.map((d) => d.allowed)).toEqual([...Array(60).fill(true), ...Array(140).fill(false)]);
    expect(decisions.slice(0, 60).map((d) => d.remaining)).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
    for (const d of decisions) expect(d.limit).toBe(60);
    for (const d of decisions.slice(60)) {
      expect(d.remaining).toBe(0);
      expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(d.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // Refused requests are counted too, like rate-limiter-flexible does.
    expect(await first.get(`${keyPrefix}:client`)).toBe('200');
    // A later turn continues from the stored count: C − n + j + 1, not 1 + j.
    const partial = createRateLimiter({ points: 7, keyPrefix: uniquePrefix('rl-burst-next'), redis: first, logger });
    expect((await consume(partial, 'k', 3)).map((d) => d.remaining)).toEqual([6, 5, 4]);
    const next = await Promise.all(Array.from({ length: 6 }, () => partial.consume('k')));
    expect(next.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
  });

  it('in Redis: concurrent bursts of two limiters on two connections, over several event-loop turns, allow exactly the budget', async () => {
    const keyPrefix = uniquePrefix('rl-turns');
    const a = createRateLimiter({ points: 60, keyPrefix, redis: first, logger });
    const b = createRateLimiter({ points: 60, keyPrefix, redis: second, logger });
    const pending: Promise<RateLimitDecision>[] = [];
    for (let turn = 0; turn < 10; turn++) {
      for (let i = 0; i < 15; i++) pending.push((i % 2 === 0 ? a : b).consume('client'));
      await new Promise(setImmediate);
    }
    const decisions = await Promise.all(pending);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    // Every count from 1 to 60 was handed out once: the allowed remainings are 59…0, each once.
    expect(
      decisions
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((x, y) => y - x),
    ).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
    expect(await first.get(`${keyPrefix}:client`)).toBe('150');
  });

  it('in Redis: a batch mixing keys gives each key its own budget, and every key gets the window as its TTL', async () => {
    const keyPrefix = uniquePrefix('rl-keys');
    const limiter = createRateLimiter({ points: 4, durationSeconds: 30, keyPrefix, redis: first, logger });
    expect((await consume(limiter, 'warm', 2)).map((d) => d.remaining)).toEqual([3, 2]);
    const keys = ['warm', 'a', 'b', 'c'];
    const calls: string[] = [];
    // Interleaved: warm, a, b, c, warm, a, b, c, … (6 rounds), plus one more 'a' at the end.
    for (let round = 0; round < 6; round++) calls.push(...keys);
    calls.push('a');
    const decisions = await Promise.all(calls.map((key) => limiter.consume(key)));
    const byKey = (key: string) => decisions.filter((_, i) => calls[i] === key).map((d) => (d.allowed ? d.remaining : 'refused'));
    expect(byKey('warm')).toEqual([1, 0, 'refused', 'refused', 'refused', 'refused']);
    expect(byKey('a')).toEqual([3, 2, 1, 0, 'refused', 'refused', 'refused']);
    expect(byKey('b')).toEqual([3, 2, 1, 0, 'refused', 'refused']);
    expect(byKey('c')).toEqual([3, 2, 1, 0, 'refused', 'refused']);
    for (const d of decisions.filter((x) => !x.allowed)) {
      expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(d.retryAfterSeconds).toBeLessThanOrEqual(30);
    }
    expect(await Promise.all(keys.map((key) => first.get(`${keyPrefix}:${key}`)))).toEqual(['8', '7', '6', '6']);
    for (const key of keys) {
      const ttl = await first.pttl(`${keyPrefix}:${key}`);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
  });

  it('in Redis: the calls of one event-loop turn cost one script call, not one command each', async () => {
    const keyPrefix = uniquePrefix('rl-batching');
    // Like the gateway's limiter connection: no auto-pipelining, so only the limiter's own batching counts.
    const connection = first.duplicate({ enableAutoPipelining: false });
    const monitor = await monitorCommands(keyPrefix);
    const seen = monitor.commands;
    /** Waits until MONITOR has reported a command sent after everything before it (same server, in order). */
    const settle = async () => {
      const sentinel = `${keyPrefix}:sentinel:${seen.length}`;
      await first.exists(sentinel);
      for (let i = 0; i < 100 && !seen.some((args) => args.includes(sentinel)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen.some((args) => args.includes(sentinel))).toBe(true);
      return seen.filter((args) => !args.some((arg) => arg.startsWith(`${keyPrefix}:sentinel:`)));
    };
    try {
      expect(await redisReady(connection)).toBe(true);
      const limiter = createRateLimiter({ points: 30, keyPrefix, redis: connection, logger });
      const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => limiter.consume(`client-${i % 5}`)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
      let commands = await settle();
      expect(commands).toHaveLength(1);
      const [name, , numberOfKeys, ...rest] = commands[0]!;
      expect(['eval', 'evalsha']).toContain(name!.toLowerCase());
      expect(numberOfKeys).toBe('5');
      // Keys, then the window in ms, then one increment per key: 10 calls each, coalesced.
      expect(rest).toEqual([...Array.from({ length: 5 }, (_, i) => `${keyPrefix}:client-${i}`), '60000', '10', '10', '10', '10', '10']);

      // Two turns, two script calls; the later one by EVALSHA now that the script is loaded.
      const first10 = Array.from({ length: 10 }, () => limiter.consume('client-0'));
      await new Promise(setImmediate);
      const next10 = Array.from({ length: 10 }, () => limiter.consume('client-0'));
      const later = await Promise.all([...first10, ...next10]);
      expect(later.map((d) => d.allowed)).toEqual([...Array(20).fill(true)]);
      expect(later.map((d) => d.remaining)).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
      commands = await settle();
      expect(commands).toHaveLength(3);
      expect(commands.slice(1).map((args) => [args[0]!.toLowerCase(), args.at(-1)])).toEqual([
        ['evalsha', '10'],
        ['evalsha', '10'],
      ]);

      // A turn with more than 500 keys is split: 1,200 clients, three script calls of 500, 500, 200.
      const many = await Promise.all(Array.from({ length: 1_200 }, (_, i) => limiter.consume(`many-${i}`)));
      expect(many.every((d) => d.allowed && d.remaining === 29)).toBe(true);
      commands = await settle();
      expect(commands.slice(3).map((args) => args[2])).toEqual(['500', '500', '200']);
    } finally {
      monitor.close();
      connection.disconnect();
    }
  });

  it('while Redis is not connected, a burst is decided per process in call order, every decision counted', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(redisUrl()).port || 6379));
    proxy.cut();
    const redis = createRedis(`redis://127.0.0.1:${proxy.port}`, logger);
    const metrics = createMetrics();
    try {
      const keyPrefix = uniquePrefix('rl-never-up');
      const limiter = createRateLimiter({ points: 3, keyPrefix, redis, logger, metrics });
      const decisions = await Promise.all([...Array.from({ length: 5 }, () => limiter.consume('k')), limiter.consume('other')]);
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
        [true, 2],
      ]);
      expect(await metrics.registry.metrics()).toMatch(/rate_limit_store_errors_total\{limiter="test:rl-never-up:[^"]+"\} 6/);
      expect(await first.exists(`${keyPrefix}:k`)).toBe(0);
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });

  it('refuses a budget that is not a positive integer', () => {
    expect(() => createRateLimiter({ points: 0, keyPrefix: 'x', logger })).toThrow(/positive integer/);
    expect(() => createRateLimiter({ points: 1.5, keyPrefix: 'x', logger })).toThrow(/positive integer/);
    expect(() => createRateLimiter({ points: 1, durationSeconds: 0, keyPrefix: 'x', logger })).toThrow(/positive number/);
  });
});
