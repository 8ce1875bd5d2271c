import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';

/**
 * The EntityManager of one store call. Inside `orm.em.fork().transactional(…)` (an audited change,
 * see `handlers/audit-trail.ts`) it joins that transaction through MikroORM's transaction context,
 * so the change and its audit event commit or roll back together; anywhere else it is a fresh fork
 * running on its own.
 */
export function storeEm(orm: MikroORM): EntityManager {
  return orm.em.fork({ keepTransactionContext: true });
}

/**
 * Runs SQL with `?` placeholders in the EntityManager's transaction when it is in one. Values are
 * bound by MikroORM; timestamps travel as ISO text cast to timestamptz, JSON as text cast to jsonb,
 * so the same statements run on PostgreSQL and PGlite.
 */
export function query<T>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return (em as SqlEntityManager).execute<T[]>(sql, params as unknown[], 'all') as Promise<T[]>;
}

/** A timestamp column value (drivers return Date or text) as a Date, null kept. */
export function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

/** A jsonb string array column value (drivers return parsed JSON or text). */
export function toStringArray(value: unknown): string[] {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
}

/** Whether a database error is a unique-constraint violation; returns the constraint name when it is. */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: string; constraint?: string; name?: string; message?: string; cause?: unknown };
  if (e?.code === '23505' || e?.name === 'UniqueConstraintViolationException') {
    return e.constraint ?? /"([^"]+)"/.exec(e.message ?? '')?.[1] ?? '';
  }
  return undefined;
}

/** Rows one purge statement deletes at most, so a first purge of a large table never holds long locks. */
const PURGE_BATCH = 5_000;

/**
 * Deletes the rows of `table` matching `condition` (with `?` params) in batches of a few thousand,
 * each its own statement; returns how many went.
 */
export async function deleteInBatches(orm: MikroORM, table: string, condition: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await query<{ id: string }>(
      orm.em.fork(),
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${condition} LIMIT ?) RETURNING id`,
      [...params, PURGE_BATCH],
    );
    total += rows.length;
    if (rows.length < PURGE_BATCH) return total;
  }
}
