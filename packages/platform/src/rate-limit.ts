import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from './logger.js';
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

/** How often a store failure is logged while Redis stays unavailable. */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;

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

function decision(allowed: boolean, limit: number, res: RateLimiterRes): RateLimitDecision {
  return {
    allowed,
    limit,
    remaining: allowed ? res.remainingPoints : 0,
    retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/**
 * A rate limiter over `rate-limiter-flexible`: counts in Redis when given one (an atomic
 * INCR-with-expiry script, so replicas share one budget per key), else in process memory.
 *
 * Redis unavailable (down, timing out, not yet connected): the decision is taken by a per-process
 * in-memory limiter with the same budget, and each such decision is counted in
 * `rate_limit_store_errors_total` and logged (at most every 10 s). Requests are neither failed nor
 * let through unlimited; with N replicas a client can get up to N times its budget until Redis is
 * back. Fail-fast Redis clients (`createRedis`) make this fallback immediate rather than queued.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { points, logger } = options;
  if (!Number.isInteger(points) || points < 1) throw new Error(`rate limiter ${options.keyPrefix}: points must be a positive integer, got ${points}`);
  const duration = options.durationSeconds ?? 60;
  const memory = new RateLimiterMemory({ points, duration, keyPrefix: options.keyPrefix });

  const memoryConsume = async (key: string): Promise<RateLimitDecision> => {
    try {
      return decision(true, points, await memory.consume(key));
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return decision(false, points, refused);
      throw refused;
    }
  };
  if (!options.redis) return { consume: memoryConsume };

  const redis = new RateLimiterRedis({
    storeClient: options.redis,
    points,
    duration,
    keyPrefix: options.keyPrefix,
    // Decide locally at once while ioredis reconnects instead of waiting on a command that fails.
    rejectIfRedisNotReady: true,
  });
  const storeErrors = options.metrics ? storeErrorCounter(options.metrics).labels(options.keyPrefix) : undefined;
  let lastLogged = 0;
  let unlogged = 0;
  return {
    async consume(key) {
      try {
        return decision(true, points, await redis.consume(key));
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return decision(false, points, outcome);
        storeErrors?.inc();
        const now = Date.now();
        if (now - lastLogged >= STORE_ERROR_LOG_INTERVAL_MS) {
          logger.warn(
            { err: { message: (outcome as Error)?.message ?? String(outcome) }, limiter: options.keyPrefix, suppressed: unlogged },
            'rate limiter store (Redis) failed; limiting per process until it is back',
          );
          lastLogged = now;
          unlogged = 0;
        } else {
          unlogged += 1;
        }
        return memoryConsume(key);
      }
    },
  };
}
