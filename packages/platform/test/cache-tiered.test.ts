import { redisUrl, startTcpProxy, testLogger, uniquePrefix, type TcpProxy } from '@core/testing';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, createRedis, createRedisCache, createTieredCache, redisReady, type TieredCache } from '../src/index.js';

const logger = testLogger();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; returns how long that took, or fails after `timeoutMs`. */
async function within(timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
  return Date.now() - started;
}

let raw: Redis;
const opened: Redis[] = [];
const caches: TieredCache[] = [];

beforeAll(async () => {
  raw = createRedis(redisUrl(), logger);
  expect(await redisReady(raw)).toBe(true);
});

afterEach(async () => {
  for (const cache of caches.splice(0)) await cache.close();
  for (const redis of opened.splice(0)) redis.disconnect();
});

afterAll(() => {
  raw.disconnect();
});

/** One "replica": its own Redis connection and tiered cache on the shared prefix and channel. */
async function replica(prefix: string, options: { url?: string; ttlMs?: number; heartbeatMs?: number } = {}) {
  const redis = createRedis(options.url ?? redisUrl(), logger);
  opened.push(redis);
  expect(await redisReady(redis)).toBe(true);
  const metrics = createMetrics();
  const cache = createTieredCache({
    remote: createRedisCache(redis, { prefix, logger, metrics }),
    local: { maxEntries: 100, ttlMs: options.ttlMs ?? 60_000 },
    invalidation: { redis, channel: `${prefix}evictions`, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) },
    logger,
    metrics,
  });
  caches.push(cache);
  expect(await cache.ready()).toBe(true);
  return { cache, metrics };
}

describe('tiered cache across two replicas', () => {
  it('serves a hot key from the process, and a delete on one replica reaches the other within ~100 ms', async () => {
    const prefix = uniquePrefix('tiered');
    const { cache: a } = await replica(prefix);
    const { cache: b, metrics } = await replica(prefix);

    await a.set('customer:1001', 'v1', 60);
    expect(await b.get('customer:1001')).toBe('v1');
    // Changed behind both caches' backs: b keeps serving its own copy, proving it asks Redis no more.
    await raw.set(`${prefix}customer:1001`, 'v2', 'EX', 60);
    expect(await b.get('customer:1001')).toBe('v1');
    const lookups = await metrics.registry.getSingleMetricAsString('cache_local_lookups_total');
    expect(lookups).toMatch(/cache_local_lookups_total\{result="miss"\} 1$/m);
    expect(lookups).toMatch(/cache_local_lookups_total\{result="hit"\} 1$/m);

    await a.delete(['customer:1001']);
    expect(await a.get('customer:1001')).toBeUndefined();
    const ms = await within(1_000, async () => (await b.get('customer:1001')) === undefined);
    expect(ms).toBeLessThan(250);
  });

  it('a replaced value (a generation bump) reaches the other replica; plain sets leave its copy alone', async () => {
    const prefix = uniquePrefix('tiered');
    const { cache: a } = await replica(prefix);
    const { cache: b } = await replica(prefix);

    await a.set('md:customer:gen', 'g1', 600);
    expect(await b.get('md:customer:gen')).toBe('g1');
    await a.set('md:customer:gen', 'g2', 600, { replace: true });
    expect(await a.get('md:customer:gen')).toBe('g2');
    await within(1_000, async () => (await b.get('md:customer:gen')) === 'g2');

    await a.set('md:customer:gen', 'g3', 600);
    await sleep(100);
    expect(await b.get('md:customer:gen')).toBe('g2');
  });

  it('evicts every key of a large invalidation (sent in chunks)', async () => {
    const prefix = uniquePrefix('tiered');
    const { cache: a } = await replica(prefix);
    const { cache: b } = await replica(prefix);
    const keys = Array.from({ length: 2_500 }, (_, i) => `k:${i}`);
    await a.setMany(keys.map((key) => ({ key, value: 'old', ttlSeconds: 60 })));
    expect(new Set(await b.getMany(keys))).toEqual(new Set(['old']));

    await a.delete(keys);
    await within(2_000, async () => (await b.getMany(keys)).every((value) => value === undefined));
  });

  it('decodes a local copy once and hands out the same value until the key is evicted', async () => {
    const prefix = uniquePrefix('tiered');
    const { cache } = await replica(prefix);
    let decodes = 0;
    const decode = (text: string) => {
      decodes += 1;
      return Object.freeze({ parsed: JSON.parse(text) as unknown });
    };
    await cache.set('r:1', '{"name":"Toko Maju"}', 60);
    const first = await cache.getDecoded('r:1', decode);
    expect(first).toEqual({ parsed: { name: 'Toko Maju' } });
    expect(await cache.getDecoded('r:1', decode)).toBe(first);
    expect(decodes).toBe(1);
    expect(await cache.getDecoded('r:missing', decode)).toBeUndefined();

    await cache.delete(['r:1']);
    await cache.set('r:1', '{"name":"Toko Baru"}', 60);
    expect(await cache.getDecoded('r:1', decode)).toEqual({ parsed: { name: 'Toko Baru' } });
    expect(decodes).toBe(2);
  });

  it('bounds a local copy by the local TTL even when no eviction notice comes', async () => {
    const prefix = uniquePrefix('tiered');
    const { cache } = await replica(prefix, { ttlMs: 300 });
    await cache.set('k', 'old', 60);
    expect(await cache.get('k')).toBe('old');
    await raw.set(`${prefix}k`, 'new', 'EX', 60);
    expect(await cache.get('k')).toBe('old');
    await sleep(350);
    expect(await cache.get('k')).toBe('new');
  });
});

describe('tiered cache during a Redis outage', () => {
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(redisUrl());
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('stops serving local copies, degrades to misses quickly, and starts clean once Redis is back', async () => {
    const prefix = uniquePrefix('tiered-outage');
    const { cache: b, metrics } = await replica(prefix, { url: `redis://127.0.0.1:${proxy.port}` });
    const { cache: a } = await replica(prefix);
    await b.set('k', 'before', 60);
    expect(await b.get('k')).toBe('before');
    expect(b.localTierActive).toBe(true);

    proxy.cut();
    await within(5_000, async () => !b.localTierActive);
    // The eviction notice of this delete cannot reach b; b must not serve its copy meanwhile.
    await a.delete(['k']);
    await a.set('k', 'during', 60);
    const started = Date.now();
    expect(await b.get('k')).toBeUndefined();
    expect(await b.getMany(['k', 'j'])).toEqual([undefined, undefined]);
    expect(Date.now() - started).toBeLessThan(3_000);
    const gauge = await metrics.registry.getSingleMetricAsString('cache_local_tier_active');
    expect(gauge).toMatch(/cache_local_tier_active 0$/m);

    proxy.restore();
    await within(15_000, async () => b.localTierActive);
    expect(await b.get('k')).toBe('during');
  });

  it('a replica that could not announce an eviction tells the others to drop everything once it can', async () => {
    const prefix = uniquePrefix('tiered-owed');
    const { cache: a } = await replica(prefix, { url: `redis://127.0.0.1:${proxy.port}`, heartbeatMs: 50 });
    const { cache: b } = await replica(prefix);
    await b.set('k', 'old', 60);
    expect(await b.get('k')).toBe('old');

    proxy.cut();
    // a's delete reaches neither Redis nor b; the value changes in Redis some other way meanwhile.
    expect(await a.delete(['k'])).toBe(0);
    await raw.set(`${prefix}k`, 'new', 'EX', 60);
    expect(await b.get('k')).toBe('old');

    proxy.restore();
    // ioredis may resend the failed DEL on reconnect, so Redis ends with 'new' or nothing: either
    // way b must stop answering its own stale copy.
    await within(15_000, async () => (await b.get('k')) !== 'old');
  });
});

/**
 * A proxy whose link can go silent without closing (a half-open link: bytes vanish, nobody is
 * told). Thawing resets the connections that were silenced, as a real peer eventually would.
 */
async function startFreezableProxy(target: URL): Promise<{ port: number; frozen: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { frozen: false };
  const forward = (from: Socket, to: Socket) => from.on('data', (chunk) => state.frozen || to.write(chunk));
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.once('close', () => sockets.delete(socket));
    }
    forward(client, upstream);
    forward(upstream, client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get frozen() {
      return state.frozen;
    },
    set frozen(value: boolean) {
      if (state.frozen && !value) for (const socket of sockets) socket.destroy();
      state.frozen = value;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('tiered cache on a half-open link', () => {
  it('notices the silence by its heartbeat, stops serving local copies, and recovers', async () => {
    const proxy = await startFreezableProxy(new URL(redisUrl()));
    try {
      const prefix = uniquePrefix('tiered-silent');
      const { cache } = await replica(prefix, { url: `redis://127.0.0.1:${proxy.port}`, heartbeatMs: 50 });
      await cache.set('k', 'before', 60);
      expect(await cache.get('k')).toBe('before');

      proxy.frozen = true;
      const ms = await within(3_000, async () => !cache.localTierActive);
      expect(ms).toBeLessThan(1_000);
      // Nothing answers on the frozen link: the shared tier times out into a miss, never the old copy.
      await raw.set(`${prefix}k`, 'after', 'EX', 60);
      expect(await cache.get('k')).toBeUndefined();

      proxy.frozen = false;
      await within(10_000, async () => cache.localTierActive);
      await expect.poll(() => cache.get('k'), { timeout: 10_000, interval: 50 }).toBe('after');
    } finally {
      await proxy.close();
    }
  });
});
