import { invalidArgument } from '@core/platform';
import { type PageRequest, pageRequest as boundedPageRequest } from '@core/platform/graphql-connections';

/** Largest `first` of the entity connections (the service's page-size bound). */
export const MAX_PAGE_SIZE = 1000;

/** The gRPC paging fields for a GraphQL `first`/`after` pair, within the connection's bound. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined, maxSize = MAX_PAGE_SIZE): PageRequest {
  return boundedPageRequest(first, after, maxSize);
}

/**
 * Parses a GraphQL `ID` that stands for an Oracle NUMBER id (int64 on the wire). Non-numeric or
 * out-of-range ids are the caller's mistake, reported against the argument that carried them.
 */
export function parseNumericId(value: string | number, field: string): number {
  const text = String(value).trim();
  const id = /^-?\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) {
    throw invalidArgument('INVALID_ID', `${field} must be a numeric id`, [
      { field, description: `must be a whole number, got ${JSON.stringify(String(value).slice(0, 40))}` },
    ]);
  }
  return id;
}

/** The optional text filters of the list RPCs, with GraphQL nulls as proto3 empty strings. */
export function text(value: string | null | undefined): string {
  return value ?? '';
}


/** Zero ids mean "not set" in proto3. */
export function presentId(value: number): number | null {
  return value === 0 ? null : value;
}

/** Exactly one of two lookup arguments must be given (e.g. `customer(id:)` or `customer(number:)`). */
export function requireOneOf(args: Record<string, unknown>, names: [string, string]): void {
  const given = names.filter((name) => args[name] !== undefined && args[name] !== null);
  if (given.length !== 1) {
    throw invalidArgument('ONE_LOOKUP_KEY_REQUIRED', `set exactly one of ${names.join(' or ')}`, [
      { field: names[0], description: `set exactly one of ${names.join(' or ')}` },
    ]);
  }
}
