import type { EntityDef } from './catalogue.types.js';
import type { SourceRow, SourceValue } from '../data/source.js';

/**
 * Mirror rows are keyed by one text column: the key column values joined by U+001F (unit separator).
 * The separator cannot appear in Oracle key values the views expose, and it sorts below every
 * printable character, so keyset paging over the encoded key visits composite keys in column order.
 */
const SEPARATOR = '\u001f';

export function encodeRecordKey(values: readonly string[]): string {
  return values.join(SEPARATOR);
}

export function decodeRecordKey(recordKey: string): string[] {
  return recordKey.split(SEPARATOR);
}

/** Text form of one value as stored in the mirror's JSON and keys: dates as ISO-8601 UTC. */
export function valueToText(value: SourceValue): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** The key column values of a source row, in catalogue key order. */
export function keyOfRow(entity: EntityDef, row: SourceRow): string[] {
  return entity.key.map((column) => valueToText(row[column] ?? null));
}

/** JSON-safe copy of a row restricted to the declared columns (dates become ISO strings). */
export function rowToData(entity: EntityDef, row: SourceRow): Record<string, string | number | null> {
  const data: Record<string, string | number | null> = {};
  for (const column of entity.columns) {
    const value = row[column.name] ?? null;
    data[column.name] = value instanceof Date ? value.toISOString() : value;
  }
  return data;
}

/** Upper-cased searchable values joined by a space: what text search matches against. */
export function searchTextOfRow(entity: EntityDef, row: SourceRow): string {
  return entity.search
    .map((column) => valueToText(row[column] ?? null))
    .filter((text) => text.length > 0)
    .join(' ')
    .toUpperCase();
}
