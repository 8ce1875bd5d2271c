import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Counter, Gauge } from 'prom-client';
import { type Logger, throttledWarn } from './logger.js';
import type { Metrics } from './metrics.js';
import { plainCounter } from './plain-metrics.js';
import { createRedisSubscriber } from './redis.js';

/**
 * A string key/value cache in front of the mirror. It is an optimisation only: implementations
 * never throw for an unreachable backend, a failed read is a miss and a failed write is dropped.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  /**
   * `get`, then `decode` of the text. A cache with an in-process tier keeps the decoded value with
   * its copy, so repeated hits skip decoding: `decode` must be pure and the same function for a
   * key, and what it returns is shared by every caller (freeze it, never mutate it).
   */
  getDecoded<V>(key: string, decode: (text: string) => V): Promise<V | undefined>;
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  /**
   * Stores a value. A cache with per-process copies (see {@link createTieredCache}) keeps the other
   * processes' copies unless `options.replace` says the value supersedes one they may hold (e.g. a
   * generation counter); values loaded from the source of truth after a miss need no such notice.
   */
  set(key: string, value: string, ttlSeconds: number, options?: CacheSetOptions): Promise<void>;
  setMany(entries: CacheEntry[]): Promise<void>;
  /** Drops the keys everywhere (every process's copy too). Returns how many keys existed. */
  delete(keys: string[]): Promise<number>;
}

/** Options of {@link Cache.set}. */
export interface CacheSetOptions {
  /** The value supersedes one other processes may hold in a local tier: they drop their copies. */
  replace?: boolean;
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
  const warn = throttledWarn(logger);
  const failed = (operation: string, err: unknown) => {
    errors?.inc({ operation });
    warn({ err, operation }, 'cache operation failed; treated as miss');
  };
  const k = (key: string) => prefix + key;
  const get = async (key: string): Promise<string | undefined> => {
    try {
      return (await redis.get(k(key))) ?? undefined;
    } catch (err) {
      failed('get', err);
      return undefined;
    }
  };
  return {
    get,
    async getDecoded(key, decode) {
      const text = await get(key);
      return text === undefined ? undefined : decode(text);
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

/** A cached text and, once asked for, its decoded form (see {@link Cache.getDecoded}). */
interface LocalEntry {
  readonly text: string;
  decode?: (text: string) => unknown;
  decoded?: unknown;
}

function decodedOf<V>(entry: LocalEntry, decode: (text: string) => V): V {
  if (entry.decode !== decode) {
    entry.decoded = decode(entry.text);
    entry.decode = decode;
  }
  return entry.decoded as V;
}

/** An in-process LRU cache with per-entry TTL, for one-process mode and when REDIS_URL is unset. */
export function createMemoryCache({ maxEntries, prefix = '' }: MemoryCacheOptions): Cache {
  const lru = new LRUCache<string, LocalEntry>({ max: maxEntries, ttlAutopurge: false });
  const k = (key: string) => prefix + key;
  const set = (key: string, value: string, ttlSeconds: number) => {
    lru.set(k(key), { text: value }, { ttl: Math.max(1, ttlSeconds * 1000) });
  };
  return {
    async get(key) {
      return lru.get(k(key))?.text;
    },
    async getDecoded(key, decode) {
      const entry = lru.get(k(key));
      return entry && decodedOf(entry, decode);
    },
    async getMany(keys) {
      return keys.map((key) => lru.get(k(key))?.text);
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

/** Options of {@link createTieredCache}. */
export interface TieredCacheOptions {
  /** The shared tier every replica reads and writes (a {@link createRedisCache}). */
  remote: Cache;
  /** Bounds of the in-process tier. */
  local: {
    maxEntries: number;
    /**
     * Longest time a local copy is served. Evictions reach every replica within milliseconds and a
     * dead subscription is noticed within a few heartbeats; this is the last-resort bound for a
     * notice lost some other way (a publisher that lost Redis right after deleting).
     */
    ttlMs: number;
  };
  /**
   * How evictions reach the other replicas: Redis pub/sub on `channel` (namespace it like the
   * keys), published on `redis` and received on a duplicate of it. Without it only this process is
   * evicted, which is right when no other process shares the remote tier. Every `heartbeatMs`
   * (default 1000) the cache sends itself a ping through Redis; three missed in a row count as a
   * dead subscription.
   */
  invalidation?: { redis: Redis; channel: string; heartbeatMs?: number };
  logger: Logger;
  metrics?: Metrics;
}

/** A {@link Cache} with an in-process tier in front of a shared one; see {@link createTieredCache}. */
export interface TieredCache extends Cache {
  /** True while local copies are served: eviction notices arrive (or no other replica exists). */
  readonly localTierActive: boolean;
  /** Resolves true once local copies are served, false if that has not happened within `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Stops receiving evictions and drops local copies; the remote tier's connection stays the caller's. */
  close(): Promise<void>;
}

/** Keys per eviction notice: bounds one pub/sub message when a sync invalidates thousands. */
const EVICTION_CHUNK = 1000;

interface EvictionNotice {
  /** The publishing cache instance: it has evicted its own copies already. */
  o: string;
  /** Keys to evict. */
  k?: string[];
  /** Evict everything: the publisher could not announce some evictions and does not know which. */
  all?: true;
}

/** Missed heartbeats after which a subscription counts as dead. */
const HEARTBEATS_MISSED = 3;

/**
 * A two-tier cache: a bounded in-process LRU with a short TTL in front of the shared cache, so a hot
 * key costs no network round trip. Every replica's local copies stay coherent through eviction
 * notices on Redis pub/sub: `delete` and `set(…, { replace: true })` evict locally and publish the
 * keys; every replica evicts them on receipt.
 *
 * Staleness bounds: a replica serves local copies only while its subscription is live: when the
 * subscriber connection closes, or its own heartbeat ping has not come back for three intervals
 * (a half-open socket, or a command connection that cannot publish), local copies are dropped and
 * reads go to the shared tier; on resubscribing, everything cached before is dropped (notices may
 * have been missed). A publisher whose notice failed tells every replica to drop everything once
 * it can publish again. Anything else is bounded by `local.ttlMs`. A read that raced an eviction
 * of its key never fills the local tier with the value it read.
 */
export function createTieredCache(options: TieredCacheOptions): TieredCache {
  const { remote, logger, metrics, invalidation } = options;
  const localTtlMs = Math.max(1, options.local.ttlMs);
  const local = new LRUCache<string, LocalEntry>({ max: options.local.maxEntries, ttl: localTtlMs, ttlAutopurge: false });
  /** Reads of the remote tier in flight, by key: an eviction of the key invalidates the token. */
  const pendingFills = new Map<string, object>();
  const origin = randomUUID();
  const errors = cacheErrorCounter(metrics);
  const activeGauge = localTierGauge(metrics);
  // Plain numbers, bound once: a prom-client increment hashes its labels on every hit.
  const lookups = plainCounter(metrics, 'cache_local_lookups_total', 'Lookups in the in-process cache tier by result (a miss goes on to the shared cache)', ['result']);
  const localHit = lookups?.labels('hit');
  const localMiss = lookups?.labels('miss');
  let active = invalidation === undefined;
  let closed = false;
  const warn = throttledWarn(logger);
  const activeWaiters = new Set<(active: boolean) => void>();

  const failed = (operation: string, err: unknown) => {
    errors?.inc({ operation });
    warn({ err, operation }, 'cache eviction notice failed; local copies are bounded by their TTL');
  };

  const setActive = (value: boolean) => {
    // Either way, nothing cached so far can be trusted: notices may have been missed.
    local.clear();
    pendingFills.clear();
    active = value && !closed;
    activeGauge?.set(active ? 1 : 0);
    if (active) for (const resolve of activeWaiters) resolve(true);
  };

  const evictLocal = (keys: readonly string[]) => {
    for (const key of keys) {
      local.delete(key);
      pendingFills.delete(key);
    }
  };

  const localTtl = (ttlSeconds: number) => Math.max(1, Math.min(localTtlMs, ttlSeconds * 1000));

  let subscriber: Redis | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  /** A notice could not be published: other replicas must drop everything once we can publish. */
  let owesClearAll = false;
  if (invalidation) {
    const { channel } = invalidation;
    const pingChannel = `${channel}:ping:${origin}`;
    const heartbeatMs = invalidation.heartbeatMs ?? 1_000;
    const sub = createRedisSubscriber(invalidation.redis, logger);
    subscriber = sub;
    let retry: NodeJS.Timeout | undefined;
    let lastPong = Date.now();
    const subscribe = () => {
      clearTimeout(retry);
      if (closed || sub.status !== 'ready') return;
      sub.subscribe(channel, pingChannel).then(
        () => {
          lastPong = Date.now();
          setActive(true);
        },
        (err: unknown) => {
          failed('subscribe', err);
          retry = setTimeout(subscribe, 1_000);
        },
      );
    };
    sub.on('ready', subscribe);
    sub.on('close', () => {
      clearTimeout(retry);
      if (active) logger.warn({ channel }, 'cache eviction channel lost; serving from the shared cache only');
      setActive(false);
    });
    sub.on('message', (from: string, message: string) => {
      if (from === pingChannel) {
        lastPong = Date.now();
        return;
      }
      if (from !== channel) return;
      try {
        const notice = JSON.parse(message) as EvictionNotice;
        if (notice.o === origin) return;
        if (notice.all) {
          local.clear();
          pendingFills.clear();
        } else if (Array.isArray(notice.k)) {
          evictLocal(notice.k);
        }
      } catch (err) {
        // Cannot tell which keys it named: drop everything rather than risk serving them.
        failed('evictionNotice', err);
        local.clear();
        pendingFills.clear();
      }
    });
    heartbeat = setInterval(() => {
      if (owesClearAll) {
        void publishNotice({ o: origin, all: true }).then((sent) => {
          if (sent) owesClearAll = false;
        });
      }
      if (!active) return;
      if (Date.now() - lastPong > HEARTBEATS_MISSED * heartbeatMs) {
        logger.warn({ channel, silentMs: Date.now() - lastPong }, 'cache eviction channel silent; reconnecting it and serving from the shared cache only');
        setActive(false);
        // A half-open socket never closes by itself: reconnecting resubscribes and reactivates.
        sub.disconnect(true);
        return;
      }
      invalidation.redis.publish(pingChannel, '1').catch((err: unknown) => failed('heartbeat', err));
    }, heartbeatMs);
    heartbeat.unref();
  }
  activeGauge?.set(active ? 1 : 0);

  /** True when Redis took the notice. */
  async function publishNotice(notice: EvictionNotice): Promise<boolean> {
    try {
      await invalidation!.redis.publish(invalidation!.channel, JSON.stringify(notice));
      return true;
    } catch (err) {
      failed('publish', err);
      return false;
    }
  }

  async function publish(keys: readonly string[]): Promise<void> {
    if (!invalidation || keys.length === 0) return;
    for (let i = 0; i < keys.length; i += EVICTION_CHUNK) {
      if (!(await publishNotice({ o: origin, k: keys.slice(i, i + EVICTION_CHUNK) }))) {
        owesClearAll = true;
        return;
      }
    }
  }

  /** Fills the local tier with what a remote read returned, unless the key was evicted meanwhile. */
  const fill = (key: string, token: object, entry: LocalEntry | undefined) => {
    if (pendingFills.get(key) !== token) return;
    pendingFills.delete(key);
    if (entry !== undefined && active) local.set(key, entry);
  };

  const localEntry = (key: string) => {
    const entry = local.get(key);
    (entry ? localHit : localMiss)?.inc();
    return entry;
  };

  /** The remote tier's entry for `key`, remembered locally when no eviction of it raced the read. */
  async function load(key: string): Promise<LocalEntry | undefined> {
    const token = {};
    pendingFills.set(key, token);
    const text = await remote.get(key);
    const entry = text === undefined ? undefined : { text };
    fill(key, token, entry);
    return entry;
  }

  return {
    get localTierActive() {
      return active;
    },
    async get(key) {
      if (!active) return remote.get(key);
      return (localEntry(key) ?? (await load(key)))?.text;
    },
    async getDecoded(key, decode) {
      if (!active) return remote.getDecoded(key, decode);
      const entry = localEntry(key) ?? (await load(key));
      return entry && decodedOf(entry, decode);
    },
    async getMany(keys) {
      if (!active) return remote.getMany(keys);
      const values: (string | undefined)[] = keys.map((key) => localEntry(key)?.text);
      const missing: number[] = [];
      values.forEach((value, i) => value === undefined && missing.push(i));
      if (missing.length === 0) return values;
      const missingKeys = missing.map((i) => keys[i]!);
      const tokens = missingKeys.map((key) => {
        const token = {};
        pendingFills.set(key, token);
        return token;
      });
      const fetched = await remote.getMany(missingKeys);
      missing.forEach((at, j) => {
        values[at] = fetched[j];
        const text = fetched[j];
        fill(missingKeys[j]!, tokens[j]!, text === undefined ? undefined : { text });
      });
      return values;
    },
    async set(key, value, ttlSeconds, setOptions) {
      await remote.set(key, value, ttlSeconds);
      evictLocal([key]);
      if (active) local.set(key, { text: value }, { ttl: localTtl(ttlSeconds) });
      if (setOptions?.replace) await publish([key]);
    },
    async setMany(entries) {
      await remote.setMany(entries);
      for (const e of entries) {
        pendingFills.delete(e.key);
        if (active) local.set(e.key, { text: e.value }, { ttl: localTtl(e.ttlSeconds) });
      }
    },
    async delete(keys) {
      if (keys.length === 0) return 0;
      // Shared tier first: a replica evicted before it would reload the old value from it.
      const existed = await remote.delete(keys);
      evictLocal(keys);
      await publish(keys);
      return existed;
    },
    ready(timeoutMs = 5_000) {
      if (active) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          activeWaiters.delete(done);
          resolve(value);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        activeWaiters.add(done);
      });
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      setActive(false);
      for (const resolve of activeWaiters) resolve(false);
      // A subscriber has no replies to wait for: closing the socket is the whole goodbye.
      subscriber?.disconnect();
    },
  };
}

function localTierGauge(metrics: Metrics | undefined): Gauge | undefined {
  if (!metrics) return undefined;
  const existing = metrics.registry.getSingleMetric('cache_local_tier_active') as Gauge | undefined;
  return (
    existing ??
    new Gauge({
      name: 'cache_local_tier_active',
      help: '1 while the in-process cache tier is served (eviction notices are received), 0 otherwise',
      registers: [metrics.registry],
    })
  );
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
