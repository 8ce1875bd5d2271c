import { randomBytes } from 'node:crypto';

/** The shared test Redis: REDIS_URL, else the local one. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A key prefix no other test run uses, because tests share one Redis and must never flush it. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${Date.now().toString(36)}${randomBytes(4).toString('hex')}:`;
}
