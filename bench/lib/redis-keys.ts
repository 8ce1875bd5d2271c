import { Redis } from 'ioredis';

/**
 * Deletes the keys a benchmark left in the shared Redis under its own prefix (SCAN + UNLINK, never
 * FLUSH*: other work shares this Redis). Returns how many were removed.
 */
export async function deleteKeysWithPrefix(prefixes: readonly string[]): Promise<number> {
  if (prefixes.length === 0) return 0;
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) removed += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return removed;
}
