import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function parseDateTime(value: unknown): Date {
  // A full offset is required: a bare local time would be read in the server's zone, not the caller's.
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw badInput('DateTime must be an ISO-8601 string with a time zone offset, e.g. 2026-03-01T08:30:00Z');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`DateTime ${JSON.stringify(value)} is not a real instant`);
  return date;
}

/** An instant as ISO-8601 text; resolvers receive and return `Date` (input: the audit log's time range). */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent a non-date value');
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

/** Output-only JSON: the before/after values of audit events (protobuf Struct on the gRPC side). */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => value,
  parseValue() {
    throw badInput('the identity subgraph takes no JSON input');
  },
  parseLiteral() {
    throw badInput('the identity subgraph takes no JSON input');
  },
});
