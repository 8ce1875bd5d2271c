import { type Column, ColumnType, type Entity, type Record as MasterDataRecord, type SyncState } from '@core/contracts/masterdata/v1';
import { presentText, toConnection } from '@core/platform/graphql-connections';
import { pageRequest, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { enumName, getOrNull } from './lookup.js';

interface RecordsArgs {
  entity: string;
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  filters?: { column: string; value: string }[] | null;
}

/** Generic reads of any catalogue entity (the 53 views), and the catalogue itself. */
export const recordResolvers = {
  Query: {
    async entities(_: unknown, __: unknown, ctx: MasterDataContext) {
      return (await ctx.masterData.listEntities({})).entities;
    },
    async record(_: unknown, args: { entity: string; key: string[] }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getRecord({ entity: args.entity, key: args.key })))?.record ?? null;
    },
    async records(_: unknown, args: RecordsArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listRecords({
        entity: args.entity,
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        filters: Object.fromEntries((args.filters ?? []).map((f) => [f.column, f.value])),
      });
      return toConnection(page.records, page.nextPageToken);
    },
  },
  Record: {
    fields: (r: MasterDataRecord) => r.fields ?? {},
    updatedAt: (r: MasterDataRecord) => r.updateTime ?? null,
    syncedAt: (r: MasterDataRecord) => r.syncTime ?? null,
  },
  MasterDataEntity: {
    updateColumn: (e: Entity) => presentText(e.updateColumn),
    state: (e: Entity) => e.state ?? null,
  },
  SyncState: {
    lastSuccessAt: (s: SyncState) => s.lastSuccessTime ?? null,
    lastFullAt: (s: SyncState) => s.lastFullTime ?? null,
    watermark: (s: SyncState) => s.watermark ?? null,
    lagSeconds: (s: SyncState) => (s.lagSeconds < 0 ? null : s.lagSeconds),
  },
  MasterDataColumn: {
    type: (c: Column) => enumName(ColumnType, c.type, 'COLUMN_TYPE_'),
  },
};
