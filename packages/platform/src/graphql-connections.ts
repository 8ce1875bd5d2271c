import { invalidArgument } from './errors.js';

/** The gRPC paging fields (AIP-158) for a GraphQL `first`/`after` pair. */
export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

/**
 * Checks `first` against the connection's bound (the service reads 0 as "its default", so an
 * explicit 0 must be refused here) and passes `after` through: the cursor is the service's opaque
 * page token, so the service alone judges whether it is valid.
 */
export function pageRequest(first: number | null | undefined, after: string | null | undefined, maxSize: number): PageRequest {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > maxSize) {
    throw invalidArgument('PAGE_SIZE_OUT_OF_RANGE', `first must be between 1 and ${maxSize}`, [
      { field: 'first', description: `must be between 1 and ${maxSize}, got ${size}` },
    ]);
  }
  return { pageSize: size, pageToken: after ?? '' };
}

/** A Relay connection of one page; only the last edge can carry the opaque token as its cursor. */
export interface Connection<T> {
  edges: { cursor: string | null; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Wraps one gRPC page as a Relay connection. */
export function toConnection<T>(nodes: readonly T[], nextPageToken: string): Connection<T> {
  const endCursor = nextPageToken === '' ? null : nextPageToken;
  return {
    edges: nodes.map((node, index) => ({ node, cursor: index === nodes.length - 1 ? endCursor : null })),
    pageInfo: { hasNextPage: endCursor !== null, endCursor },
  };
}

/** Empty proto3 strings mean "not set"; GraphQL says so with null. */
export function presentText(value: string): string | null {
  return value === '' ? null : value;
}
