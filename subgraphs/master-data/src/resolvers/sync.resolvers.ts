import { SyncMode, type SyncRun, SyncRunStatus, SyncTrigger } from '@core/contracts/masterdata/v1';
import { presentText, toConnection } from '@core/platform/graphql-connections';
import { pageRequest } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { enumName, getOrNull } from './lookup.js';

/** Largest `first` of `syncRuns` (the service's history page bound). */
const MAX_SYNC_RUNS_PAGE = 200;

/** A waited-for sync may run far longer than a read; it still must not hold a request forever. */
const WAIT_DEADLINE_MS = 120_000;

/** Data-team operations: run history, freshness, manual sync and cache invalidation. */
export const syncResolvers = {
  Query: {
    async syncRuns(_: unknown, args: { entity?: string | null; first?: number; after?: string | null }, ctx: MasterDataContext) {
      const page = await ctx.sync.listSyncRuns({
        entity: args.entity ?? '',
        ...pageRequest(args.first, args.after, MAX_SYNC_RUNS_PAGE),
      });
      return toConnection(page.runs, page.nextPageToken);
    },
    async syncRun(_: unknown, args: { id: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.sync.getSyncRun({ id: args.id })))?.run ?? null;
    },
    async entityState(_: unknown, args: { entity: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.sync.getEntityState({ entity: args.entity })))?.entity ?? null;
    },
  },
  Mutation: {
    async triggerSync(_: unknown, args: { entity: string; mode: 'INCREMENTAL' | 'FULL'; wait: boolean }, ctx: MasterDataContext) {
      const options = args.wait ? { deadline: new Date(Date.now() + WAIT_DEADLINE_MS) } : {};
      const response = await ctx.sync.triggerSync({ entity: args.entity, mode: SyncMode[`SYNC_MODE_${args.mode}`], wait: args.wait }, options);
      return response.run;
    },
    async invalidateMasterDataCache(_: unknown, args: { entity: string; keys?: string[][] | null }, ctx: MasterDataContext) {
      const response = await ctx.sync.invalidateCache({
        entity: args.entity,
        keys: (args.keys ?? []).map((values) => ({ values })),
      });
      return response.dropped;
    },
  },
  SyncRun: {
    mode: (r: SyncRun) => enumName(SyncMode, r.mode, 'SYNC_MODE_'),
    trigger: (r: SyncRun) => enumName(SyncTrigger, r.trigger, 'SYNC_TRIGGER_'),
    status: (r: SyncRun) => enumName(SyncRunStatus, r.status, 'SYNC_RUN_STATUS_'),
    startedAt: (r: SyncRun) => r.startTime,
    finishedAt: (r: SyncRun) => r.finishTime ?? null,
    watermarkFrom: (r: SyncRun) => r.watermarkFrom ?? null,
    watermarkTo: (r: SyncRun) => r.watermarkTo ?? null,
    error: (r: SyncRun) => presentText(r.error),
  },
};
