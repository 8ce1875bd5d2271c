import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { unavailable } from './errors.js';
import type { Logger } from './logger.js';

/** A held lock; `extend` returns false when the lock was lost (expired and taken by another). */
export interface LockHandle {
  readonly name: string;
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

/** A mutual-exclusion lock across replicas, with expiry so a crashed holder cannot block forever. */
export interface Lock {
  /** Undefined when someone else holds `name`; throws UNAVAILABLE 'LOCK_UNAVAILABLE' when the backend is down. */
  tryAcquire(name: string, ttlMs: number): Promise<LockHandle | undefined>;
}

/** Deletes or extends only when the stored token is ours, so a late holder never frees another's lock. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

const lockUnavailable = (name: string, err: unknown) =>
  unavailable('LOCK_UNAVAILABLE', `lock backend unreachable: ${err instanceof Error ? err.message : String(err)}`, {
    lock: name,
  });

/**
 * A single-instance Redis lock (SET NX PX with a random token; Lua compare-and-delete/extend).
 * It relies on the fail-fast client from `createRedis`: an unreachable Redis surfaces quickly as
 * UNAVAILABLE 'LOCK_UNAVAILABLE' instead of a hang.
 */
export function createRedisLock(redis: Redis, { prefix }: { prefix: string }): Lock {
  return {
    async tryAcquire(name, ttlMs) {
      const key = prefix + name;
      const token = randomUUID();
      let acquired: string | null;
      try {
        acquired = await redis.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
      } catch (err) {
        throw lockUnavailable(name, err);
      }
      if (acquired !== 'OK') return undefined;
      return {
        name,
        async extend(ms) {
          try {
            return (await redis.eval(EXTEND, 1, key, token, String(Math.max(1, Math.round(ms))))) === 1;
          } catch (err) {
            throw lockUnavailable(name, err);
          }
        },
        async release() {
          try {
            await redis.eval(RELEASE, 1, key, token);
          } catch (err) {
            throw lockUnavailable(name, err);
          }
        },
      };
    },
  };
}

/** An in-process lock with the same semantics, for one-process mode and when REDIS_URL is unset. */
export function createMemoryLock(): Lock {
  const held = new Map<string, { token: symbol; expiresAt: number }>();
  const isHeldBy = (name: string, token: symbol) => {
    const entry = held.get(name);
    return entry !== undefined && entry.token === token && entry.expiresAt > Date.now();
  };
  return {
    async tryAcquire(name, ttlMs) {
      const current = held.get(name);
      if (current && current.expiresAt > Date.now()) return undefined;
      const token = Symbol(name);
      held.set(name, { token, expiresAt: Date.now() + ttlMs });
      return {
        name,
        async extend(ms) {
          if (!isHeldBy(name, token)) return false;
          held.set(name, { token, expiresAt: Date.now() + ms });
          return true;
        },
        async release() {
          if (held.get(name)?.token === token) held.delete(name);
        },
      };
    },
  };
}

/**
 * Runs `fn` while holding `name`, renewing the lock every ttl/3. If a renewal fails (lock lost or
 * backend down) the signal is aborted so `fn` can stop before a second holder starts overlapping
 * work. Returns undefined without running `fn` when the lock is busy.
 */
export async function withLock<T>(
  lock: Lock,
  name: string,
  ttlMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
  options: { logger?: Logger } = {},
): Promise<T | undefined> {
  const handle = await lock.tryAcquire(name, ttlMs);
  if (!handle) return undefined;
  const controller = new AbortController();
  const renew = async () => {
    try {
      const kept = await handle.extend(ttlMs);
      if (!kept) controller.abort(new Error(`lock ${name} was lost`));
    } catch (err) {
      controller.abort(err);
    }
  };
  const timer = setInterval(() => {
    if (!controller.signal.aborted) void renew();
  }, Math.max(1, Math.floor(ttlMs / 3)));
  try {
    return await fn(controller.signal);
  } finally {
    clearInterval(timer);
    // A failed release is not the job's failure: the lock simply expires on its own after ttlMs.
    await handle.release().catch((err: unknown) => options.logger?.warn({ err, lock: name }, 'lock release failed'));
  }
}
