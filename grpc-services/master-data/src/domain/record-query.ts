import { createHash } from 'node:crypto';
import { decodePageToken, encodePageToken, invalidArgument, resolvePageSize, type FieldViolation } from '@core/platform';
import { z } from 'zod';
import type { ColumnDef, EntityDef } from './catalogue.types.js';

/**
 * Rules for read requests against the mirror: what a valid key, list query and page token look
 * like. Pure — every function here either returns a normalised value or throws INVALID_ARGUMENT
 * with field violations, so nothing malformed reaches SQL or the source.
 */

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Keys per batch get (proto: "at most 1000"). */
export const MAX_BATCH_KEYS = 1000;
/** Longest search text, in characters; longer text is a client mistake, not a search. */
export const MAX_QUERY_LENGTH = 200;
/** Longest key or filter value; Oracle codes and ids are far shorter. */
export const MAX_VALUE_LENGTH = 200;
/**
 * How far in the future `updated_since` may lie: clocks of callers drift a little, but a filter
 * hours ahead can only return nothing and usually means a time-zone mistake.
 */
export const UPDATED_SINCE_FUTURE_TOLERANCE_MS = 5 * 60_000;

/** A validated list request: what the record store runs. */
export interface ListQuery {
  readonly entity: EntityDef;
  readonly pageSize: number;
  readonly updatedSince?: Date;
  /** Upper-cased search text, as `search_text` stores it; absent when the request had none. */
  readonly search?: string;
  /** Equality filters, column → canonical value, sorted by column. */
  readonly filters: ReadonlyArray<readonly [column: string, value: string]>;
  /** Where the previous page stopped; absent on the first page. */
  readonly after?: PageCursor;
}

/**
 * Keyset position after the last row of a page. With `updatedSince` the order is
 * (source_updated_at, record_key), so the cursor carries both; `updatedAt` is PostgreSQL's own
 * text of the timestamptz so it round-trips at microsecond precision.
 */
export interface PageCursor {
  readonly recordKey: string;
  readonly updatedAt?: string;
}

/** Raw list input as the handlers receive it from proto messages. */
export interface ListInput {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly updatedSince?: Date | undefined;
  readonly query: string;
  readonly filters: Readonly<Record<string, string>>;
}

const tokenSchema = z.object({
  e: z.string(),
  /** Fingerprint of everything but the position: a token only continues the query that issued it. */
  f: z.string(),
  k: z.string(),
  t: z.string().optional(),
});

/** Characters that must never reach PostgreSQL text: NUL is rejected by the server itself. */
const hasControlZero = (text: string) => text.includes('\u0000');

function violation(field: string, description: string): FieldViolation {
  return { field, description };
}

/** A positive integer without leading zeros that a double holds exactly (at most 15 digits). */
const PLAIN_INTEGER = /^[1-9]\d{0,14}$/;

/**
 * Canonical text of a value for a column, as the mirror stores it (`valueToText` / `rowToData`):
 * numbers without leading zeros or trailing fraction zeros, dates as ISO-8601 UTC. Returns a
 * violation description when the text cannot be a value of that column.
 */
export function canonicalValue(column: ColumnDef, text: string): { value: string } | { problem: string } {
  // The common key (an Oracle id): already canonical, and Number() keeps every digit of it.
  if (column.type === 'number' && PLAIN_INTEGER.test(text)) return { value: text };
  if (text.length > MAX_VALUE_LENGTH) return { problem: `longer than ${MAX_VALUE_LENGTH} characters` };
  if (hasControlZero(text) || text.includes('\u001f')) return { problem: 'contains control characters' };
  if (column.type === 'number') {
    if (!/^\s*-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return { problem: `${column.name} is a number` };
    const n = Number(text);
    if (!Number.isFinite(n)) return { problem: `${column.name} is out of range` };
    return { value: String(n) };
  }
  if (column.type === 'date') {
    const time = Date.parse(text);
    if (Number.isNaN(time)) return { problem: `${column.name} is an ISO-8601 date` };
    return { value: new Date(time).toISOString() };
  }
  return { value: text };
}

function columnOf(entity: EntityDef, name: string): ColumnDef {
  // Key and filter columns are declared in the catalogue; a string column is the safe reading of a
  // catalogue entry that forgot to declare one (it compares text as stored).
  return entity.columns.find((c) => c.name === name) ?? { name, type: 'string' };
}

/** Each entity's key columns, looked up once: a get by key validates its key on every call. */
const keyColumnsOf = new WeakMap<EntityDef, readonly ColumnDef[]>();
function keyColumns(entity: EntityDef): readonly ColumnDef[] {
  let columns = keyColumnsOf.get(entity);
  if (!columns) {
    columns = entity.key.map((name) => columnOf(entity, name));
    keyColumnsOf.set(entity, columns);
  }
  return columns;
}

/**
 * Validates key values (catalogue key order) and returns them canonical, so '007' finds the row
 * keyed '7' and a non-numeric id never reaches Oracle as a bind value.
 */
export function parseKey(entity: EntityDef, values: readonly string[], field = 'key'): string[] {
  if (values.length !== entity.key.length) {
    throw invalidArgument('KEY_ARITY_MISMATCH', `${entity.name} is keyed by ${entity.key.join(', ')}`, [
      violation(field, `expected ${entity.key.length} value(s) (${entity.key.join(', ')}), got ${values.length}`),
    ]);
  }
  const violations: FieldViolation[] = [];
  const columns = keyColumns(entity);
  const canonical = values.map((text, i) => {
    const column = columns[i]!;
    if (text.trim() === '') {
      violations.push(violation(`${field}[${i}]`, `${column.name} must not be empty`));
      return '';
    }
    const result = canonicalValue(column, text);
    if ('problem' in result) {
      violations.push(violation(`${field}[${i}]`, result.problem));
      return '';
    }
    return result.value;
  });
  if (violations.length > 0) throw invalidArgument('INVALID_KEY', `invalid key for ${entity.name}`, violations);
  return canonical;
}

/** Validates a batch of keys; duplicates are kept (the store de-duplicates). */
export function parseKeys(entity: EntityDef, keys: ReadonlyArray<readonly string[]>, field = 'keys'): string[][] {
  if (keys.length > MAX_BATCH_KEYS) {
    throw invalidArgument('TOO_MANY_KEYS', `at most ${MAX_BATCH_KEYS} keys per batch`, [
      violation(field, `at most ${MAX_BATCH_KEYS} keys, got ${keys.length}`),
    ]);
  }
  return keys.map((key, i) => parseKey(entity, key, `${field}[${i}]`));
}

/** Search text: trimmed, upper-cased like `search_text`; empty means no search. */
export function parseSearch(query: string, field = 'query'): string | undefined {
  if ([...query].length > MAX_QUERY_LENGTH) {
    throw invalidArgument('QUERY_TOO_LONG', `query is longer than ${MAX_QUERY_LENGTH} characters`, [
      violation(field, `at most ${MAX_QUERY_LENGTH} characters`),
    ]);
  }
  if (hasControlZero(query)) {
    throw invalidArgument('INVALID_QUERY', 'query contains a NUL character', [violation(field, 'contains a NUL character')]);
  }
  const trimmed = query.trim();
  return trimmed === '' ? undefined : trimmed.toUpperCase();
}

/**
 * The LIKE pattern that finds `search` literally anywhere in `search_text`: the LIKE wildcards and
 * the escape character itself are escaped, to be used with `ESCAPE '\'`.
 */
export function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `updated_since`: a real instant, not in the future, on an entity that has an updated-at column. */
export function parseUpdatedSince(
  entity: EntityDef,
  updatedSince: Date | undefined,
  now: Date,
  field = 'updated_since',
): Date | undefined {
  if (updatedSince === undefined) return undefined;
  if (!(updatedSince instanceof Date) || Number.isNaN(updatedSince.getTime())) {
    throw invalidArgument('INVALID_UPDATED_SINCE', 'updated_since is not a valid timestamp', [
      violation(field, 'not a valid timestamp'),
    ]);
  }
  if (!entity.updatedAt) {
    throw invalidArgument('UPDATED_SINCE_NOT_SUPPORTED', `${entity.name} has no updated-at column`, [
      violation(field, `${entity.name} has no updated-at column; list without updated_since`),
    ]);
  }
  if (updatedSince.getTime() > now.getTime() + UPDATED_SINCE_FUTURE_TOLERANCE_MS) {
    throw invalidArgument('UPDATED_SINCE_IN_FUTURE', 'updated_since lies in the future', [
      violation(field, `${updatedSince.toISOString()} is after now (${now.toISOString()})`),
    ]);
  }
  return updatedSince;
}

/** Equality filters: only on the entity's filterable columns, canonical values, sorted by column. */
export function parseFilters(
  entity: EntityDef,
  filters: Readonly<Record<string, string>>,
  field = 'filters',
): Array<readonly [string, string]> {
  const violations: FieldViolation[] = [];
  const parsed: Array<readonly [string, string]> = [];
  for (const [name, text] of Object.entries(filters)) {
    const at = `${field}[${name}]`;
    if (!entity.filters.includes(name)) {
      const allowed = entity.filters.length > 0 ? entity.filters.join(', ') : 'none';
      violations.push(violation(at, `not a filterable column of ${entity.name} (filterable: ${allowed})`));
      continue;
    }
    if (text === '') {
      violations.push(violation(at, 'must not be empty'));
      continue;
    }
    const result = canonicalValue(columnOf(entity, name), text);
    if ('problem' in result) violations.push(violation(at, result.problem));
    else parsed.push([name, result.value]);
  }
  if (violations.length > 0) throw invalidArgument('INVALID_FILTER', `invalid filters for ${entity.name}`, violations);
  return parsed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What a page token is bound to: entity and every selection input, but not the page size. */
function fingerprint(entity: EntityDef, query: Omit<ListQuery, 'entity' | 'pageSize' | 'after'>): string {
  const basis = JSON.stringify([entity.name, query.updatedSince?.toISOString() ?? null, query.search ?? null, query.filters]);
  return createHash('sha256').update(basis).digest('base64url').slice(0, 22);
}

/**
 * Validates a list request into a {@link ListQuery}. Every field is checked before any error is
 * raised only where one check does not depend on another; the page token is verified last, against
 * the fingerprint of the rest, so it cannot be replayed against another entity, search or filter.
 */
export function parseListQuery(entity: EntityDef, input: ListInput, now: Date = new Date()): ListQuery {
  const pageSize = resolvePageSize(input.pageSize, { defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE });
  const search = parseSearch(input.query);
  const updatedSince = parseUpdatedSince(entity, input.updatedSince, now);
  const filters = parseFilters(entity, input.filters);
  const selection = { updatedSince, search, filters };
  let after: PageCursor | undefined;
  if (input.pageToken !== '') {
    const token = decodePageToken(input.pageToken, tokenSchema);
    if (token.e !== entity.name || token.f !== fingerprint(entity, selection)) {
      throw invalidArgument('INVALID_PAGE_TOKEN', 'page_token belongs to another query', [
        violation('page_token', 'issued for a different entity, search, filter or updated_since'),
      ]);
    }
    if (updatedSince !== undefined && token.t === undefined) {
      throw invalidArgument('INVALID_PAGE_TOKEN', 'page_token belongs to another query', [
        violation('page_token', 'token does not fit this request'),
      ]);
    }
    after = token.t === undefined ? { recordKey: token.k } : { recordKey: token.k, updatedAt: token.t };
  }
  return {
    entity,
    pageSize,
    filters,
    ...(updatedSince ? { updatedSince } : {}),
    ...(search ? { search } : {}),
    ...(after ? { after } : {}),
  };
}

/** The opaque token that continues `query` after `cursor`. */
export function nextPageToken(query: ListQuery, cursor: PageCursor): string {
  return encodePageToken({
    e: query.entity.name,
    f: fingerprint(query.entity, query),
    k: cursor.recordKey,
    ...(cursor.updatedAt !== undefined ? { t: cursor.updatedAt } : {}),
  });
}

