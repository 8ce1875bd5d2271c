import { GraphQLError, GraphQLScalarType } from 'graphql';

/**
 * An instant as ISO-8601 text. Identity only ever returns instants (token expiries, timestamps),
 * so this scalar is output-only and refuses to be used as input.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent a non-date value');
    return date.toISOString();
  },
  parseValue() {
    throw new GraphQLError('the identity subgraph takes no DateTime input', { extensions: { code: 'BAD_USER_INPUT' } });
  },
  parseLiteral() {
    throw new GraphQLError('the identity subgraph takes no DateTime input', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});
