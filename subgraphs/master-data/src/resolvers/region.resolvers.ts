import type { Region } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface RegionsArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
}

/** Sales regions: list, lookup by code and entity resolution. */
export const regionResolvers = {
  Query: {
    async regions(_: unknown, args: RegionsArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listRegions({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
      });
      return toConnection(page.regions, page.nextPageToken);
    },
    async region(_: unknown, args: { code: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getRegion({ code: args.code })))?.region ?? null;
    },
  },
  Region: {
    __resolveReference: (ref: { code: string }, ctx: MasterDataContext) => ctx.loaders.regions.load(ref.code),
    updatedAt: (r: Region) => r.updateTime ?? null,
  },
};
