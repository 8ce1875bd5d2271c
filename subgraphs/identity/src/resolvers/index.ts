import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateTimeScalar, JsonScalar } from '../scalars.js';
import { adminResolvers } from './admin.resolvers.js';
import { auditResolvers } from './audit.resolvers.js';
import { sessionResolvers } from './session.resolvers.js';
import { userResolvers } from './user.resolvers.js';

const perType = [userResolvers, sessionResolvers, adminResolvers, auditResolvers];

/** Every resolver of the subgraph: one file per concern, with Query/Mutation fields merged by name. */
export function identityResolvers(): GraphQLResolverMap<unknown> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const resolvers of perType) {
    for (const [typeName, fields] of Object.entries(resolvers)) {
      merged[typeName] = { ...merged[typeName], ...(fields as Record<string, unknown>) };
    }
  }
  return { ...merged, DateTime: DateTimeScalar, JSON: JsonScalar } as GraphQLResolverMap<unknown>;
}
