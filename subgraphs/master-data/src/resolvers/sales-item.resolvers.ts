import type { SalesItem } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, parseNumericId, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface SalesItemsArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  organizationCode?: string | null;
}

interface SalesItemKeyArgs {
  itemId: string | number;
  organizationId: string | number;
}

function salesItemKey(args: SalesItemKeyArgs) {
  return {
    itemId: parseNumericId(args.itemId, 'itemId'),
    organizationId: parseNumericId(args.organizationId, 'organizationId'),
  };
}

/** Sales items per branch: list, lookup, entity resolution and the branch link. */
export const salesItemResolvers = {
  Query: {
    async salesItems(_: unknown, args: SalesItemsArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listSalesItems({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        organizationCode: text(args.organizationCode),
      });
      return toConnection(page.salesItems, page.nextPageToken);
    },
    async salesItem(_: unknown, args: SalesItemKeyArgs, ctx: MasterDataContext) {
      const key = salesItemKey(args);
      return (await getOrNull(() => ctx.masterData.getSalesItem({ key })))?.salesItem ?? null;
    },
  },
  SalesItem: {
    __resolveReference: (ref: SalesItemKeyArgs, ctx: MasterDataContext) => ctx.loaders.salesItems.load(salesItemKey(ref)),
    branch: (s: SalesItem, _: unknown, ctx: MasterDataContext) =>
      s.organizationId !== 0 ? ctx.loaders.branches.load({ id: s.organizationId }) : null,
    updatedAt: (s: SalesItem) => s.updateTime ?? null,
  },
};
