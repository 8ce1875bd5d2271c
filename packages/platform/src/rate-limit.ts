import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { type Logger, throttledWarn } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Redis } from './redis.js';

/** The answer of {@link RateLimiter.consume} for one request. */
export interface RateLimitDecision {
  /** Whether the request is within the limit. */
  allowed: boolean;
  /** The configured number of requests per window. */
  limit: number;
  /** Requests left in the current window (0 when refused). */
  remaining: number;
  /** Whole seconds until the window resets (at least 1): the `Retry-After` of a refusal. */
  retryAfterSeconds: number;
}

/** A fixed-window request counter per key (a client id, an address, …). */
export interface RateLimiter {
  /** Counts one request of `key` and says whether it is allowed. Never rejects. */
  consume(key: string): Promise<RateLimitDecision>;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per key and window; must be a positive integer. */
  points: number;
  /** Window length in seconds; default 60. */
  durationSeconds?: number;
  /** Prefix of the Redis keys (`<prefix>:<key>`), so several limiters can share one Redis. */
  keyPrefix: string;
  /**
   * Shared store: every process using the same Redis and prefix counts against one budget per
   * key. Without it the counts live in this process only (embedded mode, one replica).
   */
  redis?: Redis;
  logger: Logger;
  /** Registers `rate_limit_store_errors_total{limiter}` here when given. */
  metrics?: Metrics;
}


/** One counter per registry, shared by every limiter registered there (labelled by prefix). */
function storeErrorCounter(metrics: Metrics): Counter<'limiter'> {
  const name = `${metrics.prefix}rate_limit_store_errors_total`;
  const registry: Registry = metrics.registry;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'limiter'>;
  return new Counter({
    name,
    help: 'Rate-limit decisions taken by the per-process fallback because the shared store (Redis) failed, by limiter.',
    labelNames: ['limiter'],
    registers: [registry],
  });
}

/**
 * The batch script's name on the client (`defineCommand`: EVALSHA, EVAL when the server does not
 * know the script yet). Called with numberOfKeys, the keys, then ARGV = [window ms, n per key…].
 */
const BATCH_COMMAND = 'coreRateLimitFixedWindowBatch';

/**
 * Per key: adds its n requests, starts the window (the expiry) on a key that has none, and returns
 * the count after and the milliseconds left in the window, flattened: [count1, ttl1, count2, …].
 * A multi-key script needs all its keys in one hash slot, i.e. a standalone Redis (what we run);
 * on Redis Cluster the key prefix must carry a `{hash tag}` so every key lands in one slot.
 */
const BATCH_LUA = `
local duration = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local count = redis.call('INCRBY', KEYS[i], ARGV[i + 1])
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[i], duration)
    ttl = duration
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out
`;

/** ioredis flattens array arguments (one level), so a large batch is not spread into a call's arguments. */
type BatchClient = Redis & { [BATCH_COMMAND](numberOfKeys: number, keys: string[], durationMs: number, counts: number[]): Promise<unknown> };

/** The decisions still to take, per key in arrival order: one resolver per `consume` call. */
type Batch = Map<string, ((decision: RateLimitDecision) => void)[]>;

/** Keys per script call (a turn with more keys is split over several calls). */
const MAX_KEYS_PER_CALL = 500;

/** A batch split into batches of at most `size` keys, in order. */
function chunks(batch: Batch, size: number): Batch[] {
  if (batch.size <= size) return [batch];
  const parts: Batch[] = [];
  let part: Batch = new Map();
  for (const [key, waiters] of batch) {
    if (part.size === size) {
      parts.push(part);
      part = new Map();
    }
    part.set(key, waiters);
  }
  parts.push(part);
  return parts;
}

function decision(allowed: boolean, limit: number, res: RateLimiterRes): RateLimitDecision {
  return {
    allowed,
    limit,
    remaining: allowed ? res.remainingPoints : 0,
    retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/**
 * A fixed-window rate limiter: counts in Redis when given one (replicas share one budget per key),
 * else in process memory (`rate-limiter-flexible`'s RateLimiterMemory).
 *
 * With Redis, the `consume` calls of one event-loop turn are collected and flushed together on
 * `setImmediate`: calls of the same key become one increment by their number, and all keys of the
 * turn go to Redis in one script call (INCRBY, and the window's expiry on a new key, per key), so
 * the requests read in one poll phase share one round trip and one write on the socket instead of
 * one command each. Decisions are exactly those of sending each call alone in arrival order: the
 * j-th call of a key whose count went from C − n to C saw count C − n + j + 1. Refused requests
 * count too. The script needs all keys of a call in one hash slot (standalone Redis, or a
 * `{hash tag}` in the prefix on Redis Cluster).
 *
 * Redis unavailable (down, timing out, not yet connected): the decision is taken by a per-process
 * in-memory limiter with the same budget, and each such decision is counted in
 * `rate_limit_store_errors_total` and logged (at most every 10 s). Requests are neither failed nor
 * let through unlimited; with N replicas a client can get up to N times its budget until Redis is
 * back. Fail-fast Redis clients (`createRedis`) make this fallback immediate rather than queued.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { points, logger, keyPrefix } = options;
  if (!Number.isInteger(points) || points < 1) throw new Error(`rate limiter ${keyPrefix}: points must be a positive integer, got ${points}`);
  const duration = options.durationSeconds ?? 60;
  // A zero window would make the Redis keys expire at once (no limit at all); refuse it loudly.
  if (!Number.isFinite(duration) || duration <= 0) throw new Error(`rate limiter ${keyPrefix}: durationSeconds must be a positive number, got ${duration}`);
  const memory = new RateLimiterMemory({ points, duration, keyPrefix });

  const memoryConsume = async (key: string): Promise<RateLimitDecision> => {
    try {
      return decision(true, points, await memory.consume(key));
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return decision(false, points, refused);
      throw refused;
    }
  };
  if (!options.redis) return { consume: memoryConsume };

  const client = options.redis as BatchClient;
  client.defineCommand(BATCH_COMMAND, { lua: BATCH_LUA });
  const durationMs = Math.max(1, Math.round(duration * 1000));
  const storeErrors = options.metrics ? storeErrorCounter(options.metrics).labels(keyPrefix) : undefined;
  const warn = throttledWarn(logger);

  /** Decides every call of a failed batch per process, in arrival order, counting and logging each. */
  const fallBack = (batch: Batch, err: unknown) => {
    for (const [key, waiters] of batch) {
      for (const resolve of waiters) {
        storeErrors?.inc();
        warn({ err: { message: (err as Error)?.message ?? String(err) }, limiter: keyPrefix }, 'rate limiter store (Redis) failed; limiting per process until it is back');
        // RateLimiterMemory counts synchronously when called, so the calls keep arrival order.
        memoryConsume(key).then(resolve, (unexpected: unknown) => {
          logger.error({ err: unexpected, limiter: keyPrefix }, 'rate limiter in-memory fallback failed; allowing the request');
          resolve({ allowed: true, limit: points, remaining: 0, retryAfterSeconds: 1 });
        });
      }
    }
  };

  const flush = async (batch: Batch) => {
    // Decide locally at once while ioredis reconnects instead of waiting on a command that fails.
    if (client.status !== 'ready') return fallBack(batch, new Error('Redis connection is not ready'));
    const keys: string[] = [];
    const counts: number[] = [];
    for (const [key, waiters] of batch) {
      keys.push(`${keyPrefix}:${key}`);
      counts.push(waiters.length);
    }
    let reply: unknown;
    try {
      reply = await client[BATCH_COMMAND](keys.length, keys, durationMs, counts);
    } catch (err) {
      return fallBack(batch, err);
    }
    if (!Array.isArray(reply) || reply.length !== 2 * keys.length || !reply.every((value) => typeof value === 'number')) {
      return fallBack(batch, new Error(`unexpected reply from the rate-limit script: ${JSON.stringify(reply)?.slice(0, 200)}`));
    }
    let i = 0;
    for (const waiters of batch.values()) {
      const after = reply[2 * i] as number;
      const retryAfterSeconds = Math.max(1, Math.ceil((reply[2 * i + 1] as number) / 1000));
      const before = after - waiters.length;
      waiters.forEach((resolve, j) => {
        const count = before + j + 1;
        const allowed = count <= points;
        resolve({ allowed, limit: points, remaining: allowed ? points - count : 0, retryAfterSeconds });
      });
      i += 1;
    }
  };

  let pending: Batch | undefined;
  return {
    consume(key) {
      return new Promise((resolve) => {
        if (!pending) {
          pending = new Map();
          setImmediate(() => {
            const turn = pending as Batch;
            pending = undefined;
            // At most MAX_KEYS_PER_CALL keys per script call: one burst of many distinct clients must
            // not hold the shared Redis in one long script.
            for (const batch of chunks(turn, MAX_KEYS_PER_CALL)) {
              // flush handles its own failures; this only guards against a bug leaving calls unanswered.
              flush(batch).catch((err: unknown) => fallBack(batch, err));
            }
          });
        }
        const waiters = pending.get(key);
        if (waiters) waiters.push(resolve);
        else pending.set(key, [resolve]);
      });
    },
  };
}
