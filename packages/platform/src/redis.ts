import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export { Redis };

/** How often a persistent connection error is logged while Redis stays down. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * An ioredis client tuned for "Redis is an optimisation": commands fail fast instead of queueing
 * while disconnected (`enableOfflineQueue: false`, 500 ms `commandTimeout`), reconnection retries
 * forever with capped backoff, and connection errors are logged at most every 10 s instead of
 * being thrown from the 'error' event (which would crash the process).
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
    lazyConnect: false,
  });
  let lastLogged = 0;
  let suppressed = 0;
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    logger.warn({ err: { message: err.message }, suppressed }, 'redis connection error');
    lastLogged = now;
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (lastLogged !== 0) logger.info('redis connection restored');
    lastLogged = 0;
  });
  return redis;
}

/**
 * Waits until the client is connected, up to `timeoutMs`. Commands fail fast while disconnected,
 * so a service may await this at start to avoid a burst of cache misses; false means "start
 * anyway, Redis is still reconnecting in the background".
 */
export function redisReady(redis: Redis, timeoutMs = 5_000): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
