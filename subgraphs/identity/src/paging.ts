import { invalidArgument } from '@core/platform';

/** Largest `first` of the identity connections (the service's page-size bound). */
export const MAX_PAGE_SIZE = 500;

/**
 * The gRPC paging fields for a GraphQL `first`/`after` pair. `first` is checked here because the
 * service reads 0 as "its default"; the cursor is the service's opaque page token, judged there.
 */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): { pageSize: number; pageToken: string } {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw invalidArgument('PAGE_SIZE_OUT_OF_RANGE', `first must be between 1 and ${MAX_PAGE_SIZE}`, [
      { field: 'first', description: `must be between 1 and ${MAX_PAGE_SIZE}, got ${size}` },
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
