import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * A string key/value cache in front of the mirror. It is an optimisation only: implementations
 * never throw for an unreachable backend, a failed read is a miss and a failed write is dropped.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  setMany(entries: CacheEntry[]): Promise<void>;
  /** Returns how many keys existed. */
  delete(keys: string[]): Promise<number>;
}

/** One entry of {@link Cache.setMany}. */
export interface CacheEntry {
  key: string;
  value: string;
  ttlSeconds: number;
}

/** Options of {@link createRedisCache}. */
export interface RedisCacheOptions {
  /** Namespace of every key, e.g. 'md:' — keeps services (and tests) apart on one Redis. */
  prefix: string;
  logger: Logger;
  metrics?: Metrics;
}

const ERROR_LOG_INTERVAL_MS = 10_000;

function cacheErrorCounter(metrics: Metrics | undefined): Counter<'operation'> | undefined {
  if (!metrics) return undefined;
  const existing = metrics.registry.getSingleMetric('cache_errors_total') as Counter<'operation'> | undefined;
  return (
    existing ??
    new Counter({
      name: 'cache_errors_total',
      help: 'Cache operations that failed and were treated as a miss or dropped',
      labelNames: ['operation'],
      registers: [metrics.registry],
    })
  );
}

/**
 * A cache on Redis (see `createRedis` for the fail-fast client settings). Failures are counted in
 * `cache_errors_total` and logged at most every 10 s, so an outage does not flood the log.
 */
export function createRedisCache(redis: Redis, { prefix, logger, metrics }: RedisCacheOptions): Cache {
  const errors = cacheErrorCounter(metrics);
  let lastLogged = 0;
  const failed = (operation: string, err: unknown) => {
    errors?.inc({ operation });
    const now = Date.now();
    if (now - lastLogged >= ERROR_LOG_INTERVAL_MS) {
      lastLogged = now;
      logger.warn({ err, operation }, 'cache operation failed; treated as miss');
    }
  };
  const k = (key: string) => prefix + key;
  return {
    async get(key) {
      try {
        return (await redis.get(k(key))) ?? undefined;
      } catch (err) {
        failed('get', err);
        return undefined;
      }
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      try {
        return (await redis.mget(keys.map(k))).map((v) => v ?? undefined);
      } catch (err) {
        failed('getMany', err);
        return keys.map(() => undefined);
      }
    },
    async set(key, value, ttlSeconds) {
      try {
        await redis.set(k(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      } catch (err) {
        failed('set', err);
      }
    },
    async setMany(entries) {
      if (entries.length === 0) return;
      try {
        const pipeline = redis.pipeline();
        for (const e of entries) pipeline.set(k(e.key), e.value, 'EX', Math.max(1, Math.ceil(e.ttlSeconds)));
        const results = (await pipeline.exec()) ?? [];
        const error = results.find(([err]) => err)?.[0];
        if (error) throw error;
      } catch (err) {
        failed('setMany', err);
      }
    },
    async delete(keys) {
      if (keys.length === 0) return 0;
      try {
        return await redis.del(...keys.map(k));
      } catch (err) {
        failed('delete', err);
        return 0;
      }
    },
  };
}

/** Options of {@link createMemoryCache}. */
export interface MemoryCacheOptions {
  maxEntries: number;
  prefix?: string;
}

/** An in-process LRU cache with per-entry TTL, for one-process mode and when REDIS_URL is unset. */
export function createMemoryCache({ maxEntries, prefix = '' }: MemoryCacheOptions): Cache {
  const lru = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: false });
  const k = (key: string) => prefix + key;
  const set = (key: string, value: string, ttlSeconds: number) => {
    lru.set(k(key), value, { ttl: Math.max(1, ttlSeconds * 1000) });
  };
  return {
    async get(key) {
      return lru.get(k(key));
    },
    async getMany(keys) {
      return keys.map((key) => lru.get(k(key)));
    },
    async set(key, value, ttlSeconds) {
      set(key, value, ttlSeconds);
    },
    async setMany(entries) {
      for (const e of entries) set(e.key, e.value, e.ttlSeconds);
    },
    async delete(keys) {
      let existed = 0;
      for (const key of keys) if (lru.delete(k(key))) existed += 1;
      return existed;
    },
  };
}

/** See {@link singleFlight}. */
export interface SingleFlight<K extends string = string, V = unknown> {
  run(key: K, fn: () => Promise<V>): Promise<V>;
}

/**
 * Collapses concurrent loads of the same key into one: while a load for `key` is in flight, later
 * callers get the same promise. Protects the mirror from a stampede when a hot key expires.
 */
export function singleFlight<K extends string = string, V = unknown>(): SingleFlight<K, V> {
  const inFlight = new Map<K, Promise<V>>();
  return {
    run(key, fn) {
      const running = inFlight.get(key);
      if (running) return running;
      const promise = Promise.resolve()
        .then(fn)
        .finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },
  };
}
