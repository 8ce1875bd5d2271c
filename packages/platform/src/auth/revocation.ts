import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { createRedisSubscriber } from '../redis.js';

/**
 * Subjects whose access tokens issued up to a moment are no longer accepted (a disabled account,
 * a reset password). Identity writes it; every verifier reads it on every call, so the read is a
 * local map lookup kept current by the store behind it.
 */
export interface RevocationList {
  /** Refuses every token of `subject` issued at or before `at`. */
  revoke(subject: string, at?: Date): Promise<void>;
  /** Whether a token of `subject` issued at `issuedAtMs` is revoked. */
  isRevoked(subject: string, issuedAtMs: number): boolean;
  close(): Promise<void>;
}

/** Revocations are kept as long as a token issued before them could still be live. */
const DEFAULT_RETENTION_MS = 60 * 60_000;

class RevocationMap {
  private readonly revokedAt = new Map<string, number>();
  constructor(private readonly retentionMs: number) {}
  set(subject: string, at: number): void {
    const previous = this.revokedAt.get(subject) ?? 0;
    if (at > previous) this.revokedAt.set(subject, at);
  }
  isRevoked(subject: string, issuedAtMs: number): boolean {
    if (this.revokedAt.size === 0) return false;
    const at = this.revokedAt.get(subject);
    return at !== undefined && issuedAtMs <= at;
  }
  prune(now: number): void {
    for (const [subject, at] of this.revokedAt) if (at < now - this.retentionMs) this.revokedAt.delete(subject);
  }
}

/** In-process list for the embedded mode, where identity and every verifier share one process. */
export function createMemoryRevocationList(options: { retentionMs?: number } = {}): RevocationList {
  const map = new RevocationMap(options.retentionMs ?? DEFAULT_RETENTION_MS);
  return {
    async revoke(subject, at = new Date()) {
      map.prune(Date.now());
      map.set(subject, at.getTime());
    },
    isRevoked: (subject, issuedAtMs) => map.isRevoked(subject, issuedAtMs),
    async close() {},
  };
}

/**
 * Redis-backed list shared by every replica: revocations live in a sorted set (subject scored by
 * revocation time, pruned past the retention) and are announced on a channel. Each process loads
 * the set at start and again whenever its subscriber reconnects (a missed announcement cannot
 * linger), then applies announcements as they come.
 */
export async function createRedisRevocationList(options: {
  redis: Redis;
  logger: Logger;
  /** Key and channel prefix; default `auth:`. */
  prefix?: string;
  retentionMs?: number;
}): Promise<RevocationList> {
  const { redis, logger } = options;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const key = `${options.prefix ?? 'auth:'}revocations`;
  const channel = key;
  const map = new RevocationMap(retentionMs);
  let closed = false;

  const load = async () => {
    const now = Date.now();
    await redis.zremrangebyscore(key, '-inf', now - retentionMs);
    const entries = await redis.zrange(key, 0, -1, 'WITHSCORES');
    for (let i = 0; i + 1 < entries.length; i += 2) map.set(entries[i]!, Number(entries[i + 1]));
    map.prune(now);
  };

  const subscriber = createRedisSubscriber(redis, logger);
  subscriber.on('message', (_channel: string, message: string) => {
    const tab = message.lastIndexOf('\t');
    const at = Number(message.slice(tab + 1));
    if (tab > 0 && Number.isFinite(at)) map.set(message.slice(0, tab), at);
    else logger.warn({ message }, 'ignoring a malformed revocation announcement');
  });
  const resync = () => {
    if (closed) return;
    subscriber
      .subscribe(channel)
      .then(load)
      .catch((err: unknown) => {
        logger.error({ err }, 'revocation list could not resynchronise; retrying');
        setTimeout(resync, 1_000).unref();
      });
  };
  subscriber.on('ready', resync);
  if (subscriber.status === 'ready') resync();
  // The first load is awaited, so a verifier normally starts with the revocations already known.
  // When Redis is down the process still starts (reads must keep answering) and loads on reconnect.
  try {
    await load();
  } catch (err) {
    logger.error({ err }, 'revocation list not loaded: Redis unreachable; loading when it returns');
  }

  return {
    async revoke(subject, at = new Date()) {
      const time = at.getTime();
      map.set(subject, time);
      await redis.multi().zadd(key, 'GT', time, subject).publish(channel, `${subject}\t${time}`).exec();
    },
    isRevoked: (subject, issuedAtMs) => map.isRevoked(subject, issuedAtMs),
    async close() {
      closed = true;
      subscriber.disconnect();
    },
  };
}
