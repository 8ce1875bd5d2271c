import type { Branch } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, parseNumericId, requireOneOf, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface BranchesArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  regionCode?: string | null;
}

/** Branches: list, lookup by id or code, entity resolution, and the region link. */
export const branchResolvers = {
  Query: {
    async branches(_: unknown, args: BranchesArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listBranches({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        regionCode: text(args.regionCode),
      });
      return toConnection(page.branches, page.nextPageToken);
    },
    async branch(_: unknown, args: { id?: string | null; code?: string | null }, ctx: MasterDataContext) {
      requireOneOf(args, ['id', 'code']);
      const request = args.id != null ? { id: parseNumericId(args.id, 'id') } : { code: args.code ?? '' };
      return (await getOrNull(() => ctx.masterData.getBranch(request)))?.branch ?? null;
    },
  },
  Branch: {
    __resolveReference(ref: { id?: string | number; code?: string }, ctx: MasterDataContext) {
      return ctx.loaders.branches.load(
        ref.id !== undefined ? { id: parseNumericId(ref.id, 'id') } : { code: ref.code ?? '' },
      );
    },
    region: (b: Branch, _: unknown, ctx: MasterDataContext) =>
      b.regionCode !== '' ? ctx.loaders.regions.load(b.regionCode) : null,
    startDate: (b: Branch) => b.startDate ?? null,
    endDate: (b: Branch) => b.endDate ?? null,
  },
};
