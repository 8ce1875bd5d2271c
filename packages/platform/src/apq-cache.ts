import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { type Logger, throttledWarn } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Redis } from './redis.js';

/**
 * The key-value cache shape Apollo Server takes (`persistedQueries.cache`, `cache`), as
 * `@apollo/utils.keyvaluecache` declares it (whose `delete` may also resolve to nothing); `ttl` is
 * in seconds, `null` for no expiry.
 */
export interface KeyValueCache<V = string> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: { ttl?: number | null }): Promise<void>;
  /** Whether there was an entry to delete. */
  delete(key: string): Promise<boolean>;
}

/** Options of {@link createRedisKeyValueCache}. */
export interface RedisKeyValueCacheOptions {
  redis: Redis;
  /** Prepended to every key, e.g. `gateway:apq:`; isolates this cache from others on the Redis. */
  prefix: string;
  /** Expiry in seconds of entries set without an explicit `ttl`; default 86 400 (a day). */
  defaultTtlSeconds?: number;
  logger: Logger;
  /** Registers `kv_cache_errors_total{cache,operation}` here when given. */
  metrics?: Metrics;
}

function errorCounter(metrics: Metrics): Counter<'cache' | 'operation'> {
  const name = `${metrics.prefix}kv_cache_errors_total`;
  const existing = metrics.registry.getSingleMetric(name);
  if (existing) return existing as Counter<'cache' | 'operation'>;
  return new Counter({
    name,
    help: 'Failed operations of a Redis-backed key-value cache (reads answered as misses), by cache prefix and operation.',
    labelNames: ['cache', 'operation'],
    registers: [metrics.registry],
  });
}

/**
 * A string key-value cache in Redis for Apollo Server, e.g. the automatic persisted queries (APQ)
 * store shared by every gateway replica. Entries expire (`SET … EX`); `ttl: null` keeps an entry
 * until deleted.
 *
 * When Redis fails, `get` answers a miss (for APQ the client then sends the full query, which the
 * protocol already handles) and `set`/`delete` reject (Apollo logs a failed APQ registration and
 * serves the request anyway); every failure is counted in `kv_cache_errors_total` and logged at
 * most every 10 s.
 */
export function createRedisKeyValueCache(options: RedisKeyValueCacheOptions): KeyValueCache<string> {
  const { redis, prefix, logger } = options;
  const defaultTtl = options.defaultTtlSeconds ?? 86_400;
  if (!Number.isInteger(defaultTtl) || defaultTtl < 1) throw new Error(`cache ${prefix}: defaultTtlSeconds must be a positive integer, got ${defaultTtl}`);
  const errors = options.metrics ? errorCounter(options.metrics) : undefined;
  const warn = throttledWarn(logger);
  const failed = (operation: string, err: unknown) => {
    errors?.inc({ cache: prefix, operation });
    warn({ err: { message: err instanceof Error ? err.message : String(err) }, cache: prefix, operation }, 'redis cache operation failed');
  };

  return {
    async get(key) {
      try {
        return (await redis.get(prefix + key)) ?? undefined;
      } catch (err) {
        failed('get', err);
        return undefined;
      }
    },
    async set(key, value, setOptions) {
      const ttl = setOptions?.ttl === undefined ? defaultTtl : setOptions.ttl;
      try {
        if (ttl === null || ttl <= 0) await redis.set(prefix + key, value);
        else await redis.set(prefix + key, value, 'EX', Math.ceil(ttl));
      } catch (err) {
        failed('set', err);
        throw err;
      }
    },
    async delete(key) {
      try {
        return (await redis.del(prefix + key)) > 0;
      } catch (err) {
        failed('delete', err);
        throw err;
      }
    },
  };
}

/**
 * A bounded in-process {@link KeyValueCache} (least recently used entries go first once either
 * bound is reached; `ttl` in seconds honoured), for one process without Redis (embedded mode,
 * tests). Bounded in bytes too, so a few huge values cannot fill the heap.
 */
export function createMemoryKeyValueCache(options: { maxEntries?: number; maxBytes?: number } = {}): KeyValueCache<string> {
  const entries = new LRUCache<string, string>({
    max: options.maxEntries ?? 10_000,
    maxSize: options.maxBytes ?? 32 * 1024 * 1024,
    sizeCalculation: (value, key) => (value.length + key.length) * 2,
  });
  return {
    async get(key) {
      return entries.get(key);
    },
    async set(key, value, setOptions) {
      const ttl = setOptions?.ttl;
      entries.set(key, value, ttl ? { ttl: ttl * 1000 } : {});
    },
    async delete(key) {
      return entries.delete(key);
    },
  };
}
