import { unwrapResolverError } from '@apollo/server/errors';
import { type Logger, toGraphQLError } from '@core/platform';
import type { GraphQLFormattedError } from 'graphql';

/** gRPC request fields whose GraphQL argument has another name. */
const ARGUMENT_OF_FIELD: Record<string, string> = { page_size: 'first', page_token: 'after' };

/** `updated_since` → `updatedSince`: violations should name what the GraphQL caller sent. */
function argumentName(field: string): string {
  return ARGUMENT_OF_FIELD[field] ?? field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Apollo `formatError`: the one place resolver failures become GraphQL errors. Service errors keep
 * their status mapping (BAD_USER_INPUT, NOT_FOUND, …), reason and field violations; anything
 * unexpected becomes INTERNAL_SERVER_ERROR with no internals in the message.
 */
export function formatMasterDataError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // Parse, validation and variable coercion errors (not raised by a resolver) already carry a precise
    // code. Decided without `instanceof GraphQLError`: a test runner may load graphql twice (ESM + CJS).
    const code = formatted.extensions?.code;
    if (original === error && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    const mapped = toGraphQLError(original, logger);
    // A transport failure (no ErrorInfo from the service) describes channels and addresses: log it, don't show it.
    const transportFailure = mapped.extensions.code === 'UNAVAILABLE' && mapped.extensions.reason === 'UNAVAILABLE';
    if (transportFailure) logger.warn({ err: original }, 'master-data service unreachable');
    const violations = mapped.extensions.fieldViolations as { field: string; description: string }[] | undefined;
    return {
      ...formatted,
      message: transportFailure ? 'The master data service is unavailable; retry later' : mapped.message,
      extensions: {
        ...mapped.extensions,
        ...(violations ? { fieldViolations: violations.map((v) => ({ ...v, field: argumentName(v.field) })) } : {}),
      },
    };
  };
}
