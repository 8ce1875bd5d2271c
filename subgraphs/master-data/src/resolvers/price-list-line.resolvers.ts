import type { PriceListLine } from '@core/contracts/masterdata/v1';
import { presentText, toConnection } from '@core/platform/graphql-connections';
import { pageRequest, parseNumericId, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface PriceListLinesArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  priceListId?: string | null;
  customerNumber?: string | null;
}

interface PriceListLineKeyArgs {
  priceListId: string | number;
  lineId: string | number;
}

function lineKey(args: PriceListLineKeyArgs) {
  return { priceListId: parseNumericId(args.priceListId, 'priceListId'), lineId: parseNumericId(args.lineId, 'lineId') };
}

/** Price list lines: list, lookup, entity resolution and the customer link of customer-specific prices. */
export const priceListLineResolvers = {
  Query: {
    async priceListLines(_: unknown, args: PriceListLinesArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listPriceListLines({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        priceListId: args.priceListId != null ? parseNumericId(args.priceListId, 'priceListId') : 0,
        customerNumber: text(args.customerNumber),
      });
      return toConnection(page.priceListLines, page.nextPageToken);
    },
    async priceListLine(_: unknown, args: PriceListLineKeyArgs, ctx: MasterDataContext) {
      const key = lineKey(args);
      return (await getOrNull(() => ctx.masterData.getPriceListLine({ key })))?.priceListLine ?? null;
    },
  },
  PriceListLine: {
    __resolveReference: (ref: PriceListLineKeyArgs, ctx: MasterDataContext) => ctx.loaders.priceListLines.load(lineKey(ref)),
    listPrice: (l: PriceListLine) => l.listPrice ?? null,
    startDate: (l: PriceListLine) => l.startDate ?? null,
    endDate: (l: PriceListLine) => l.endDate ?? null,
    customerNumber: (l: PriceListLine) => presentText(l.customerNumber),
    customer(l: PriceListLine, _: unknown, ctx: MasterDataContext) {
      if (l.customerId !== 0) return ctx.loaders.customers.load({ id: l.customerId });
      return l.customerNumber !== '' ? ctx.loaders.customers.load({ number: l.customerNumber }) : null;
    },
    updatedAt: (l: PriceListLine) => l.updateTime ?? null,
  },
};
