import type { EntityDef } from '../../domain/catalogue.types.js';
import type { SourceValue } from '../source.js';

/**
 * SQL text for reading catalogue entities from Oracle. Pure: no driver, testable without a
 * database. Identifiers spliced into the text come only from the catalogue, which validates them
 * at load; every value travels as a bind variable.
 *
 * Paging is keyset paging in the form Oracle 11g runs (no FETCH FIRST / OFFSET, which need 12c):
 *
 *   SELECT * FROM (SELECT <columns> FROM <view> WHERE <since> AND <after key> ORDER BY <key>)
 *    WHERE ROWNUM <= :limit
 *
 * ROWNUM is applied after the inner ORDER BY, so each page is the next `limit` rows in key order,
 * and each page costs the same however deep into the view it is.
 */

/** A statement and its named bind values. */
export interface BoundStatement {
  readonly sql: string;
  readonly binds: Record<string, string | number | null>;
}

/** Date values travel as UTC text and are read back with this format, so no time zone applies. */
export const ORACLE_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS';

/** `2026-01-01T07:30:00.000Z` → `2026-01-01 07:30:00` (Oracle DATE has whole seconds; the fraction is dropped). */
export function toOracleDateText(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** `(SELECT … FROM …) src` for join-built entities, the view name otherwise. */
export function fromClause(entity: EntityDef): string {
  return entity.fromSql === undefined ? entity.view : `(${entity.fromSql}) src`;
}

function columnType(entity: EntityDef, column: string) {
  return entity.columns.find((candidate) => candidate.name === column)?.type ?? 'string';
}

/** Bind placeholder for a value of a column: dates are compared as DATE, not as text. */
function placeholder(entity: EntityDef, column: string, bindName: string): string {
  return columnType(entity, column) === 'date' ? `TO_DATE(:${bindName}, '${ORACLE_DATE_FORMAT}')` : `:${bindName}`;
}

function bindValue(value: SourceValue): string | number | null {
  return value instanceof Date ? toOracleDateText(value) : value;
}

/**
 * Rows strictly after `after` in key order:
 * `(k1 > :k0) OR (k1 = :k0 AND k2 > :k1) OR (k1 = :k0 AND k2 = :k1 AND k3 > :k2)`.
 * Expanded rather than a row-value comparison, which Oracle does not have.
 */
export function keysetPredicate(entity: EntityDef): string {
  const terms: string[] = [];
  for (let depth = 0; depth < entity.key.length; depth += 1) {
    const parts: string[] = [];
    for (let i = 0; i < depth; i += 1) {
      const column = entity.key[i] as string;
      parts.push(`${column} = ${placeholder(entity, column, `k${i}`)}`);
    }
    const column = entity.key[depth] as string;
    parts.push(`${column} > ${placeholder(entity, column, `k${depth}`)}`);
    terms.push(`(${parts.join(' AND ')})`);
  }
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

export interface PageQueryOptions {
  /** Only rows whose updated-at column is at or after this instant (ignored without an updated-at column). */
  readonly since?: Date;
  /** Key values of the last row of the previous page; absent for the first page. */
  readonly after?: readonly SourceValue[];
  /** Rows per page. */
  readonly limit: number;
}

/** One page of an entity in key order. */
export function buildPageQuery(entity: EntityDef, { since, after, limit }: PageQueryOptions): BoundStatement {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
  const conditions: string[] = [];
  const binds: Record<string, string | number | null> = {};
  if (since !== undefined && entity.updatedAt !== undefined) {
    conditions.push(`${entity.updatedAt} >= TO_DATE(:since, '${ORACLE_DATE_FORMAT}')`);
    binds.since = toOracleDateText(since);
  }
  if (after !== undefined) {
    if (after.length !== entity.key.length) {
      throw new RangeError(`entity ${entity.name} has ${entity.key.length} key column(s), keyset has ${after.length}`);
    }
    conditions.push(keysetPredicate(entity));
    after.forEach((value, i) => {
      binds[`k${i}`] = bindValue(value);
    });
  }
  binds.limit = limit;
  const columns = entity.columns.map((column) => column.name).join(', ');
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const sql =
    `SELECT * FROM (SELECT ${columns} FROM ${fromClause(entity)}${where} ORDER BY ${entity.key.join(', ')})` +
    ' WHERE ROWNUM <= :limit';
  return { sql, binds };
}

/**
 * One row by key. Key values arrive as text (record keys); a value that cannot be of its column's
 * type matches no row, so the result is undefined and no statement is needed.
 */
export function buildGetByKeyQuery(entity: EntityDef, key: readonly string[]): BoundStatement | undefined {
  if (key.length !== entity.key.length) return undefined;
  const binds: Record<string, string | number | null> = {};
  const conditions: string[] = [];
  for (const [i, column] of entity.key.entries()) {
    const text = key[i] as string;
    const type = columnType(entity, column);
    let value: string | number;
    if (type === 'number') {
      value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) return undefined;
    } else if (type === 'date') {
      const date = new Date(text);
      if (Number.isNaN(date.getTime())) return undefined;
      value = toOracleDateText(date);
    } else {
      value = text;
    }
    binds[`k${i}`] = value;
    conditions.push(`${column} = ${placeholder(entity, column, `k${i}`)}`);
  }
  const columns = entity.columns.map((column) => column.name).join(', ');
  return {
    sql: `SELECT ${columns} FROM ${fromClause(entity)} WHERE ${conditions.join(' AND ')}`,
    binds,
  };
}

/**
 * Session settings every pooled connection gets once: UTC for anything zoned, a fixed DATE text
 * format (the adapter reads DATE columns as this text and parses it as UTC, so the Node process
 * time zone never matters) and binary sorting, so ORDER BY agrees with the `>` of the keyset
 * predicate whatever NLS_LANGUAGE the database defaults to.
 */
export const SESSION_SETUP_SQL =
  "ALTER SESSION SET TIME_ZONE = 'UTC'" +
  ` NLS_DATE_FORMAT = '${ORACLE_DATE_FORMAT}'` +
  ` NLS_TIMESTAMP_FORMAT = '${ORACLE_DATE_FORMAT}'` +
  ' NLS_SORT = BINARY NLS_COMP = BINARY';
