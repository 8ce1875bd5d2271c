import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateScalar, DateTimeScalar, JsonScalar, RupiahScalar } from '../scalars.js';
import { branchResolvers } from './branch.resolvers.js';
import { customerResolvers } from './customer.resolvers.js';
import { employeeResolvers } from './employee.resolvers.js';
import { geographyResolvers } from './geography.resolvers.js';
import { priceListLineResolvers } from './price-list-line.resolvers.js';
import { recordResolvers } from './record.resolvers.js';
import { regionResolvers } from './region.resolvers.js';
import { salesItemResolvers } from './sales-item.resolvers.js';
import { salesmanResolvers } from './salesman.resolvers.js';
import { syncResolvers } from './sync.resolvers.js';
import { warehouseResolvers } from './warehouse.resolvers.js';

const perType = [
  customerResolvers,
  branchResolvers,
  regionResolvers,
  employeeResolvers,
  warehouseResolvers,
  salesItemResolvers,
  salesmanResolvers,
  geographyResolvers,
  priceListLineResolvers,
  recordResolvers,
  syncResolvers,
];

/** Every resolver of the subgraph: one file per type, with Query/Mutation fields merged by name. */
export function masterDataResolvers(): GraphQLResolverMap<unknown> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const resolvers of perType) {
    for (const [typeName, fields] of Object.entries(resolvers)) {
      merged[typeName] = { ...merged[typeName], ...(fields as Record<string, unknown>) };
    }
  }
  return {
    ...merged,
    DateTime: DateTimeScalar,
    Date: DateScalar,
    Rupiah: RupiahScalar,
    JSON: JsonScalar,
  } as GraphQLResolverMap<unknown>;
}
