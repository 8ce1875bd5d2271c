import type { Logger } from '@core/platform';
import { camelArgumentName, subgraphErrorFormatter } from '@core/platform/graphql-errors';

/** gRPC request fields whose GraphQL argument has another name. */
const ARGUMENT_OF_FIELD: Record<string, string> = { page_size: 'first', page_token: 'after' };

/** Apollo `formatError` of the master-data subgraph (see the platform's subgraphErrorFormatter). */
export function formatMasterDataError(logger: Logger) {
  return subgraphErrorFormatter({
    logger,
    serviceName: 'master data',
    argumentName: (field) => ARGUMENT_OF_FIELD[field] ?? camelArgumentName(field),
  });
}
