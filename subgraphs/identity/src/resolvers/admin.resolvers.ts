import { type ServiceClient, User, type UserScope } from '@core/contracts/identity/v1';
import type { IdentityContext } from '../context.js';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest } from '../paging.js';
import { USER_STATUS } from './lookup.js';

interface ScopeInput {
  area?: string | null;
  region?: string | null;
  unit?: string | null;
  approvalLevel?: number | null;
}

interface CreateUserInput {
  username?: string | null;
  email?: string | null;
  nip?: string | null;
  name: string;
  roles: string[];
  scope?: ScopeInput | null;
  password: string;
}

interface UpdateUserInput {
  username?: string | null;
  name?: string | null;
  email?: string | null;
  nip?: string | null;
  roles?: string[] | null;
  scope?: ScopeInput | null;
  status?: keyof typeof USER_STATUS | null;
}

function scopeOf(input: ScopeInput | null | undefined): UserScope {
  return {
    area: input?.area ?? '',
    region: input?.region ?? '',
    unit: input?.unit ?? '',
    approvalLevel: input?.approvalLevel ?? undefined,
  };
}

/** The proto field paths of an update: every input field the caller gave a value. */
const UPDATABLE_FIELDS = ['username', 'name', 'email', 'nip', 'roles', 'scope', 'status'] as const;

/** User and service-client administration; the identity service checks the `admin` role. */
export const adminResolvers = {
  Query: {
    async serviceClients(_: unknown, args: { first?: number | null; after?: string | null }, ctx: IdentityContext) {
      const page = await ctx.identity.listServiceClients(pageRequest(args.first, args.after));
      return toConnection(page.clients, page.nextPageToken);
    },
  },
  Mutation: {
    async createUser(_: unknown, { input }: { input: CreateUserInput }, ctx: IdentityContext) {
      const response = await ctx.identity.createUser({
        username: input.username ?? '',
        email: input.email ?? '',
        nip: input.nip ?? '',
        name: input.name,
        roles: input.roles,
        scope: scopeOf(input.scope),
        password: input.password,
      });
      return response.user;
    },
    async updateUser(_: unknown, { id, input }: { id: string; input: UpdateUserInput }, ctx: IdentityContext) {
      const updateMask = UPDATABLE_FIELDS.filter((field) => input[field] !== undefined && input[field] !== null);
      const user = User.fromPartial({
        id,
        username: input.username ?? '',
        name: input.name ?? '',
        email: input.email ?? '',
        nip: input.nip ?? '',
        roles: input.roles ?? [],
        scope: scopeOf(input.scope),
        status: input.status ? USER_STATUS[input.status] : 0,
      });
      return (await ctx.identity.updateUser({ user, updateMask })).user;
    },
    async setPassword(_: unknown, args: { id: string; newPassword: string }, ctx: IdentityContext) {
      await ctx.identity.setPassword({ userId: args.id, newPassword: args.newPassword });
      return true;
    },
    async disableUser(_: unknown, args: { id: string }, ctx: IdentityContext) {
      return (await ctx.identity.disableUser({ id: args.id })).user;
    },
    async enableUser(_: unknown, args: { id: string }, ctx: IdentityContext) {
      return (await ctx.identity.enableUser({ id: args.id })).user;
    },
    async unlockUser(_: unknown, args: { id: string }, ctx: IdentityContext) {
      return (await ctx.identity.unlockUser({ id: args.id })).user;
    },
    async createServiceClient(
      _: unknown,
      { input }: { input: { clientId: string; displayName: string; roles: string[] } },
      ctx: IdentityContext,
    ) {
      const response = await ctx.identity.createServiceClient(input);
      return { client: response.client, clientSecret: response.clientSecret };
    },
  },
  ServiceClient: {
    createdAt: (c: ServiceClient) => c.createTime,
  },
};
