import type { Customer } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, parseNumericId, requireOneOf, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import type { CustomerRef } from '../loaders.js';
import { getOrNull } from './lookup.js';

interface CustomersArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  branchCode?: string | null;
}

/** Customers: the list, the single lookup, entity resolution by id or number, and the branch/region links. */
export const customerResolvers = {
  Query: {
    async customers(_: unknown, args: CustomersArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listCustomers({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        branchCode: text(args.branchCode),
      });
      return toConnection(page.customers, page.nextPageToken);
    },
    async customer(_: unknown, args: { id?: string | null; number?: string | null }, ctx: MasterDataContext) {
      requireOneOf(args, ['id', 'number']);
      const request = args.id != null ? { id: parseNumericId(args.id, 'id') } : { number: args.number ?? '' };
      const found = await getOrNull(() => ctx.masterData.getCustomer(request));
      return found?.customer ?? null;
    },
  },
  Customer: {
    __resolveReference(ref: { id?: string | number; number?: string }, ctx: MasterDataContext) {
      const key: CustomerRef = ref.id !== undefined ? { id: parseNumericId(ref.id, 'id') } : { number: ref.number ?? '' };
      return ctx.loaders.customers.load(key);
    },
    code: (c: Customer) => c.number,
    active: (c: Customer) => c.status === 'A',
    updatedAt: (c: Customer) => c.updateTime ?? null,
    branch: (c: Customer, _: unknown, ctx: MasterDataContext) =>
      c.branchId !== 0 ? ctx.loaders.branches.load({ id: c.branchId }) : null,
    async region(c: Customer, _: unknown, ctx: MasterDataContext) {
      if (c.branchId === 0) return null;
      const branch = await ctx.loaders.branches.load({ id: c.branchId });
      return branch && branch.regionCode !== '' ? ctx.loaders.regions.load(branch.regionCode) : null;
    },
  },
};
