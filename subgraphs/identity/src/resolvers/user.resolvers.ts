import type { User, UserScope } from '@core/contracts/identity/v1';
import type { IdentityContext } from '../context.js';
import { presentText, toConnection } from '@core/platform/graphql-connections';
import { pageRequest } from '../paging.js';
import { getOrNull, statusName, USER_STATUS } from './lookup.js';

interface UsersArgs {
  first?: number | null;
  after?: string | null;
  query?: string | null;
  role?: string | null;
  status?: keyof typeof USER_STATUS | null;
}

/** Users: the caller, one by id, the admin list, federation references, and field mapping. */
export const userResolvers = {
  Query: {
    async me(_: unknown, __: unknown, ctx: IdentityContext) {
      return (await ctx.identity.getMe({})).user ?? null;
    },
    async user(_: unknown, args: { id: string }, ctx: IdentityContext) {
      return (await getOrNull(() => ctx.identity.getUser({ id: args.id })))?.user ?? null;
    },
    async users(_: unknown, args: UsersArgs, ctx: IdentityContext) {
      const page = await ctx.identity.listUsers({
        ...pageRequest(args.first, args.after),
        query: args.query ?? '',
        role: args.role ?? '',
        status: args.status ? USER_STATUS[args.status] : 0,
      });
      return toConnection(page.users, page.nextPageToken);
    },
  },
  User: {
    __resolveReference(ref: { id: string }, ctx: IdentityContext) {
      return ctx.loaders.users.load(String(ref.id));
    },
    username: (u: User) => presentText(u.username),
    email: (u: User) => presentText(u.email),
    nip: (u: User) => presentText(u.nip),
    scope: (u: User) => u.scope ?? { area: '', region: '', unit: '' },
    status: (u: User) => statusName(u.status),
    lockedUntil: (u: User) => u.lockedUntil ?? null,
    createdAt: (u: User) => u.createTime,
    updatedAt: (u: User) => u.updateTime,
  },
  UserScope: {
    area: (s: UserScope) => presentText(s.area),
    region: (s: UserScope) => presentText(s.region),
    unit: (s: UserScope) => presentText(s.unit),
    approvalLevel: (s: UserScope) => s.approvalLevel ?? null,
  },
};
