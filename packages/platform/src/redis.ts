import { Redis } from 'ioredis';
import { type Logger, throttledWarn } from './logger.js';

export { Redis };

/**
 * Logs a connection's errors at most every 10 s (counting the ones in between) instead of letting
 * them reach ioredis' unhandled 'error' path, and notes when the connection is back. For every
 * connection a process opens: {@link createRedis} does it for its clients.
 */
export function logConnectionErrors(redis: Redis, logger: Logger, connection: string): void {
  const warn = throttledWarn(logger);
  redis.on('error', (err: Error) => warn({ err: { message: err.message }, connection }, 'redis connection error'));
  redis.on('ready', () => {
    if (warn.reset()) logger.info({ connection }, 'redis connection restored');
  });
}

/**
 * An ioredis client tuned for "Redis is an optimisation": commands fail fast instead of queueing
 * while disconnected (`enableOfflineQueue: false`, 500 ms `commandTimeout`), reconnection retries
 * forever with capped backoff, and connection errors are logged at most every 10 s instead of
 * being thrown from the 'error' event (which would crash the process). Commands issued in the same
 * event-loop turn go out as one pipeline (`enableAutoPipelining`): under load, many concurrent
 * cache reads cost one write and one read on the socket instead of one each.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
    lazyConnect: false,
  });
  logConnectionErrors(redis, logger, 'commands');
  return redis;
}

/**
 * A second connection to the same Redis for pub/sub (a subscribed connection can run no other
 * commands), with the same fail-fast settings and error logging. It does not resubscribe by
 * itself after a reconnect: the owner subscribes on every 'ready', so it knows exactly when
 * messages flow again (and what it may have missed meanwhile).
 */
export function createRedisSubscriber(redis: Redis, logger: Logger): Redis {
  const subscriber = redis.duplicate({ autoResubscribe: false, enableAutoPipelining: false });
  logConnectionErrors(subscriber, logger, 'subscriber');
  return subscriber;
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
