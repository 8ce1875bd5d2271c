import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/** A GraphQL error for a value the caller sent wrong (`BAD_USER_INPUT`). */
export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function parseDateTime(value: unknown): Date {
  // A full offset is required: a bare local time would be read in the server's zone, not the caller's.
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw badUserInput('DateTime must be an ISO-8601 string with a time zone offset, e.g. 2026-03-01T08:30:00Z');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badUserInput(`DateTime ${JSON.stringify(value)} is not a real instant`);
  return date;
}

/**
 * The mesh's `DateTime`, the same in every subgraph: an instant as ISO-8601 text with an offset on
 * the wire; resolvers receive and return `Date`.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent a non-date value');
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw badUserInput('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});
