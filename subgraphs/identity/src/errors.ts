import { unwrapResolverError } from '@apollo/server/errors';
import { type Logger, toGraphQLError } from '@core/platform';
import type { GraphQLFormattedError } from 'graphql';

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
  const camel = field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel.startsWith('user.') ? `input.${camel.slice('user.'.length)}` : camel;
}

/**
 * Apollo `formatError`: the one place resolver failures become GraphQL errors. The identity
 * service's statuses keep their mapping (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, …), reason,
 * metadata (e.g. `locked_until`) and field violations; anything unexpected becomes
 * INTERNAL_SERVER_ERROR with no internals in the message.
 */
export function formatIdentityError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // Parse, validation and variable coercion errors (not raised by a resolver) already carry a precise
    // code. Decided without `instanceof GraphQLError`: a test runner may load graphql twice (ESM + CJS).
    const code = formatted.extensions?.code;
    if (original === error && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    const mapped = toGraphQLError(original, logger);
    // A transport failure (no ErrorInfo from the service) describes channels and addresses: log it, don't show it.
    const transportFailure = mapped.extensions.code === 'UNAVAILABLE' && mapped.extensions.reason === 'UNAVAILABLE';
    if (transportFailure) logger.warn({ err: original }, 'identity service unreachable');
    const violations = mapped.extensions.fieldViolations as { field: string; description: string }[] | undefined;
    return {
      ...formatted,
      message: transportFailure ? 'The identity service is unavailable; retry later' : mapped.message,
      extensions: {
        ...mapped.extensions,
        ...(violations ? { fieldViolations: violations.map((v) => ({ ...v, field: argumentName(v.field) })) } : {}),
      },
    };
  };
}
