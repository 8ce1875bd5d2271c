import { badUserInput as badInput } from '@core/platform/graphql-scalars';
import { GraphQLScalarType } from 'graphql';

export { DateTimeScalar } from '@core/platform/graphql-scalars';

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
