import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { toGraphQLError } from './errors.js';
import type { Logger } from './logger.js';

/** Options of {@link subgraphErrorFormatter}. */
export interface SubgraphErrorFormatterOptions {
  logger: Logger;
  /** The gRPC service behind the subgraph, for the "unavailable" message and log line. */
  serviceName: string;
  /**
   * Renames a field violation from the gRPC request field (`page_size`, `user.status`) to the
   * GraphQL argument the caller actually sent (`first`, `input.status`).
   */
  argumentName: (field: string) => string;
}

/** `updated_since` → `updatedSince`: the default spelling of a GraphQL argument for a proto field. */
export function camelArgumentName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Apollo `formatError` for a subgraph: the one place resolver failures become GraphQL errors.
 * Service errors keep their status mapping (BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED, …), reason,
 * metadata and field violations (renamed to GraphQL arguments); a transport failure is logged and
 * shown as a plain "unavailable"; anything unexpected becomes INTERNAL_SERVER_ERROR with no
 * internals in the message.
 */
export function subgraphErrorFormatter(options: SubgraphErrorFormatterOptions) {
  const { logger, serviceName, argumentName } = options;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // Parse, validation and variable coercion errors (not raised by a resolver) already carry a precise
    // code. Decided without `instanceof GraphQLError`: a test runner may load graphql twice (ESM + CJS).
    const code = formatted.extensions?.code;
    if (original === error && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    const mapped = toGraphQLError(original, logger);
    // A transport failure (no ErrorInfo from the service) describes channels and addresses: log it, don't show it.
    const transportFailure = mapped.extensions.code === 'UNAVAILABLE' && mapped.extensions.reason === 'UNAVAILABLE';
    if (transportFailure) logger.warn({ err: original }, `${serviceName} service unreachable`);
    const violations = mapped.extensions.fieldViolations as { field: string; description: string }[] | undefined;
    return {
      ...formatted,
      message: transportFailure ? `The ${serviceName} service is unavailable; retry later` : mapped.message,
      extensions: {
        ...mapped.extensions,
        ...(violations ? { fieldViolations: violations.map((v) => ({ ...v, field: argumentName(v.field) })) } : {}),
      },
    };
  };
}
