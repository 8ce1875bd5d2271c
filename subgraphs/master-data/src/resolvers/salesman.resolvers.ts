import type { Salesman } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface SalesmenArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  organizationCode?: string | null;
}

/** Salesmen: list, lookup by number, entity resolution and the branch link. */
export const salesmanResolvers = {
  Query: {
    async salesmen(_: unknown, args: SalesmenArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listSalesmen({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        organizationCode: text(args.organizationCode),
      });
      return toConnection(page.salesmen, page.nextPageToken);
    },
    async salesman(_: unknown, args: { number: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getSalesman({ number: args.number })))?.salesman ?? null;
    },
  },
  Salesman: {
    __resolveReference: (ref: { number: string }, ctx: MasterDataContext) => ctx.loaders.salesmen.load(ref.number),
    branch: (s: Salesman, _: unknown, ctx: MasterDataContext) =>
      s.organizationCode !== '' ? ctx.loaders.branches.load({ code: s.organizationCode }) : null,
    updatedAt: (s: Salesman) => s.updateTime ?? null,
  },
};
