import { AuditEventSchema } from '@core/platform/audit';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One sync of one entity: what ran, why, who asked, and how it ended. The history behind
 * `SyncService.ListSyncRuns` and the lag/duration metrics.
 */
export const SyncRunSchema = defineEntity({
  name: 'SyncRun',
  tableName: 'md_sync_run',
  properties: {
    id: p.uuid().primary(),
    entity: p.text(),
    /** `incremental` (by updated-at watermark) or `full` (reconcile, removes vanished rows). */
    mode: p.text().$type<'incremental' | 'full'>(),
    /** `schedule`, `manual` (gRPC/CLI) or `bootstrap` (first start with an empty mirror). */
    trigger: p.text().$type<'schedule' | 'manual' | 'bootstrap'>(),
    triggeredBy: p.text(),
    status: p.text().$type<'running' | 'succeeded' | 'failed'>(),
    startedAt: p.datetime().columnType('timestamptz'),
    finishedAt: p.datetime().columnType('timestamptz').nullable(),
    rowsRead: p.bigint('number').default(0),
    rowsUpserted: p.bigint('number').default(0),
    rowsDeleted: p.bigint('number').default(0),
    watermarkFrom: p.datetime().columnType('timestamptz').nullable(),
    watermarkTo: p.datetime().columnType('timestamptz').nullable(),
    error: p.text().nullable(),
    /** Which replica/process ran it (host:pid), for tracing a run across replicas. */
    runner: p.text(),
  },
});

/** Per-entity sync progress: the incremental watermark and when the last runs succeeded. */
export const SyncStateSchema = defineEntity({
  name: 'SyncState',
  tableName: 'md_sync_state',
  properties: {
    entity: p.text().primary(),
    watermark: p.datetime().columnType('timestamptz').nullable(),
    lastSuccessAt: p.datetime().columnType('timestamptz').nullable(),
    lastFullAt: p.datetime().columnType('timestamptz').nullable(),
    rowCount: p.bigint('number').default(0),
  },
});

export type SyncRun = InferEntity<typeof SyncRunSchema>;
export type SyncState = InferEntity<typeof SyncStateSchema>;

/** Every MikroORM entity of the service, for `initORM` (with the platform's audit log). */
export const mirrorEntities = [SyncRunSchema, SyncStateSchema, AuditEventSchema];
