import { type PageRequest, pageRequest as boundedPageRequest } from '@core/platform/graphql-connections';

/** Largest `first` of the identity connections (the service's page-size bound). */
export const MAX_PAGE_SIZE = 500;

/** The gRPC paging fields for a GraphQL `first`/`after` pair, within the identity bound. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): PageRequest {
  return boundedPageRequest(first, after, MAX_PAGE_SIZE);
}
