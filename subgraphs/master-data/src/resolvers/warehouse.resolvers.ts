import type { Warehouse } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, parseNumericId, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface WarehousesArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  organizationCode?: string | null;
}

interface WarehouseKeyArgs {
  organizationId: string | number;
  subinventoryCode: string;
  locatorId: string | number;
}

function warehouseKey(args: WarehouseKeyArgs) {
  return {
    organizationId: parseNumericId(args.organizationId, 'organizationId'),
    subinventoryCode: args.subinventoryCode,
    locatorId: parseNumericId(args.locatorId, 'locatorId'),
  };
}

/** Warehouses (subinventory locators): list, lookup, entity resolution and the branch link. */
export const warehouseResolvers = {
  Query: {
    async warehouses(_: unknown, args: WarehousesArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listWarehouses({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        organizationCode: text(args.organizationCode),
      });
      return toConnection(page.warehouses, page.nextPageToken);
    },
    async warehouse(_: unknown, args: WarehouseKeyArgs, ctx: MasterDataContext) {
      const key = warehouseKey(args);
      return (await getOrNull(() => ctx.masterData.getWarehouse({ key })))?.warehouse ?? null;
    },
  },
  Warehouse: {
    __resolveReference: (ref: WarehouseKeyArgs, ctx: MasterDataContext) => ctx.loaders.warehouses.load(warehouseKey(ref)),
    branch: (w: Warehouse, _: unknown, ctx: MasterDataContext) =>
      w.organizationId !== 0 ? ctx.loaders.branches.load({ id: w.organizationId }) : null,
    updatedAt: (w: Warehouse) => w.updateTime ?? null,
  },
};
