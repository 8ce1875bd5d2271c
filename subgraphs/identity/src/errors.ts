import type { Logger } from '@core/platform';
import { camelArgumentName, subgraphErrorFormatter } from '@core/platform/graphql-errors';

/** gRPC request fields whose GraphQL argument has another name. */
const ARGUMENT_OF_FIELD: Record<string, string> = {
  page_size: 'first',
  page_token: 'after',
  user_id: 'id',
  'user.id': 'id',
  // The mask is derived from the fields given in `input`: an empty mask means an empty input.
  update_mask: 'input',
};

/**
 * `new_password` → `newPassword`, `user.status` → `input.status`: violations name what the GraphQL
 * caller sent (the mutations take their values as `input`, the service reads them from `user`).
 */
function argumentName(field: string): string {
  const renamed = ARGUMENT_OF_FIELD[field];
  if (renamed) return renamed;
  const camel = camelArgumentName(field);
  return camel.startsWith('user.') ? `input.${camel.slice('user.'.length)}` : camel;
}

/** Apollo `formatError` of the identity subgraph (see the platform's subgraphErrorFormatter). */
export function formatIdentityError(logger: Logger) {
  return subgraphErrorFormatter({ logger, serviceName: 'identity', argumentName });
}
