import { badUserInput as badInput } from '@core/platform/graphql-scalars';
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

export { DateTimeScalar } from '@core/platform/graphql-scalars';

/** The proto `CalendarDate` shape the service sends for business dates. */
export interface CalendarDateValue {
  year: number;
  month: number;
  day: number;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** A business date; resolvers return proto CalendarDate messages, the wire carries `YYYY-MM-DD`. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  serialize(value) {
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    const date = value as Partial<CalendarDateValue> | null;
    if (date && typeof date.year === 'number' && typeof date.month === 'number' && typeof date.day === 'number') {
      return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
    }
    throw new GraphQLError('Date cannot represent a non-date value');
  },
  parseValue(value) {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw badInput('Date must be YYYY-MM-DD');
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || !/^\d{4}-\d{2}-\d{2}$/.test(ast.value)) throw badInput('Date must be YYYY-MM-DD');
    return ast.value;
  },
});

function toRupiah(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw badInput('Rupiah must be a whole number of rupiah within ±(2^53 − 1)');
  }
  return value;
}

/**
 * Whole rupiah as a JSON integer. GraphQL's Int is 32-bit (±2.1 billion), too small for credit
 * limits and totals, so amounts get their own scalar bounded by JavaScript's exact integer range.
 */
export const RupiahScalar = new GraphQLScalarType<number, number>({
  name: 'Rupiah',
  serialize(value) {
    const money = value as { rupiah?: unknown } | number;
    return toRupiah(typeof money === 'object' && money !== null ? money.rupiah : money);
  },
  parseValue: toRupiah,
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw badInput('Rupiah must be an integer literal');
    return toRupiah(Number(ast.value));
  },
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
    case Kind.ENUM:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((value) => literalToJson(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((field) => [field.name.value, literalToJson(field.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
  }
}

/** Arbitrary JSON: the column map of generic records (protobuf Struct on the gRPC side). */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});
