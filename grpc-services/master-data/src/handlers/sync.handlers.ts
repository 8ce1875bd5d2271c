import {
  SyncMode as SyncModeMessage,
  SyncRunStatus as SyncRunStatusMessage,
  SyncTrigger as SyncTriggerMessage,
  type SyncRun,
  type SyncServiceDefinition,
} from '@core/contracts/masterdata/v1';
import { invalidArgument, notFound, type ServiceContext, type ServiceContextExt } from '@core/platform';
import { type AuditEntry, auditOriginOf, recordAudit } from '@core/platform/audit';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { ServiceImplementation } from 'nice-grpc';
import type { RecordStore } from '../data/record-store.js';
import { requireEntity } from '../domain/catalogue.js';
import type { EntityDef } from '../domain/catalogue.types.js';
import { encodeRecordKey } from '../domain/record-key.js';
import type { SyncMode, SyncRunRecord, SyncRunStatus, SyncTrigger } from '../domain/sync-run.js';
import type { SyncRunner } from '../jobs/sync.runner.js';
import { toEntityMessage } from './entity-message.js';

/** Keys one InvalidateCache call may name; beyond that, drop the whole entity instead. */
const MAX_INVALIDATE_KEYS = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MODE_MESSAGES: Record<SyncMode, SyncModeMessage> = {
  incremental: SyncModeMessage.SYNC_MODE_INCREMENTAL,
  full: SyncModeMessage.SYNC_MODE_FULL,
};
const TRIGGER_MESSAGES: Record<SyncTrigger, SyncTriggerMessage> = {
  schedule: SyncTriggerMessage.SYNC_TRIGGER_SCHEDULE,
  manual: SyncTriggerMessage.SYNC_TRIGGER_MANUAL,
  bootstrap: SyncTriggerMessage.SYNC_TRIGGER_BOOTSTRAP,
};
const STATUS_MESSAGES: Record<SyncRunStatus, SyncRunStatusMessage> = {
  running: SyncRunStatusMessage.SYNC_RUN_STATUS_RUNNING,
  succeeded: SyncRunStatusMessage.SYNC_RUN_STATUS_SUCCEEDED,
  failed: SyncRunStatusMessage.SYNC_RUN_STATUS_FAILED,
};

/** The `SyncRun` message of a history record. */
export function toSyncRunMessage(run: SyncRunRecord): SyncRun {
  return {
    id: run.id,
    entity: run.entity,
    mode: MODE_MESSAGES[run.mode],
    trigger: TRIGGER_MESSAGES[run.trigger],
    triggeredBy: run.triggeredBy,
    status: STATUS_MESSAGES[run.status],
    startTime: run.startedAt,
    finishTime: run.finishedAt,
    rowsRead: run.rowsRead,
    rowsUpserted: run.rowsUpserted,
    rowsDeleted: run.rowsDeleted,
    watermarkFrom: run.watermarkFrom,
    watermarkTo: run.watermarkTo,
    error: run.error ?? '',
    runner: run.runner,
  };
}

/** Unset means incremental (proto default); a number outside the enum is the caller's mistake. */
function requestedMode(mode: SyncModeMessage): SyncMode {
  switch (mode) {
    case SyncModeMessage.SYNC_MODE_UNSPECIFIED:
    case SyncModeMessage.SYNC_MODE_INCREMENTAL:
      return 'incremental';
    case SyncModeMessage.SYNC_MODE_FULL:
      return 'full';
    default:
      throw invalidArgument('UNKNOWN_SYNC_MODE', `unknown sync mode ${String(mode)}`, [
        { field: 'mode', description: 'must be SYNC_MODE_INCREMENTAL or SYNC_MODE_FULL' },
      ]);
  }
}

/** The service name master data's audit events carry. */
export const AUDIT_SERVICE = 'master-data';

/** The audit entry of a SyncService call: who, from where, which RPC on which entity. */
function auditEntry(context: ServiceContext, rpc: string, entity: EntityDef, after: unknown): AuditEntry {
  return { ...auditOriginOf(context), service: AUDIT_SERVICE, action: `masterdata.${rpc}`, target: { type: 'entity', id: entity.name }, after };
}

/** Dependencies of {@link createSyncHandlers}. */
export interface SyncHandlersOptions {
  /** The service database, for the audit log. */
  orm: MikroORM;
  runner: SyncRunner;
  store: Pick<RecordStore, 'invalidate' | 'invalidateAll'>;
  /** Entities this service serves; a name outside it is INVALID_ARGUMENT 'UNKNOWN_ENTITY'. */
  catalogue: readonly EntityDef[];
}

/** `core.masterdata.v1.SyncService`: manual sync, run history, entity freshness and cache drops. */
export function createSyncHandlers({
  orm,
  runner,
  store,
  catalogue,
}: SyncHandlersOptions): ServiceImplementation<typeof SyncServiceDefinition, ServiceContextExt> {
  const byName = new Map(catalogue.map((entity) => [entity.name, entity]));
  // The catalogue module owns the unknown-entity error; a name it knows but this server does not
  // serve cannot occur in production, where both are the same catalogue.
  const entityNamed = (name: string): EntityDef => byName.get(name) ?? requireEntity(name);

  return {
    async triggerSync(request, context) {
      const entity = entityNamed(request.entity);
      const sync = {
        mode: requestedMode(request.mode),
        trigger: 'manual' as const,
        triggeredBy: context.caller?.subject ?? 'anonymous',
        // The event commits with the run's start, so every manual run has its audit event.
        onRecorded: async (em: EntityManager, run: SyncRunRecord) => {
          await recordAudit(em, auditEntry(context, 'TriggerSync', entity, { ...run, wait: request.wait }));
        },
      };
      // With `wait` the caller's deadline bounds the wait, not the run: a caller that gives up does
      // not abort a half-applied run, which finishes and is recorded normally.
      const run = request.wait ? await runner.run(entity, sync) : await runner.start(entity, sync);
      return { run: toSyncRunMessage(run) };
    },

    async getSyncRun(request) {
      if (!UUID.test(request.id)) {
        throw invalidArgument('INVALID_SYNC_RUN_ID', 'id must be a sync run id (UUID)', [
          { field: 'id', description: 'must be a UUID as returned by TriggerSync or ListSyncRuns' },
        ]);
      }
      const run = await runner.getRun(request.id);
      if (!run) throw notFound('SYNC_RUN_NOT_FOUND', `sync run ${request.id} does not exist`, { id: request.id });
      return { run: toSyncRunMessage(run) };
    },

    async listSyncRuns(request) {
      const entity = request.entity === '' ? undefined : entityNamed(request.entity);
      const page = await runner.listRuns({ entity: entity?.name, pageSize: request.pageSize, pageToken: request.pageToken });
      return { runs: page.runs.map(toSyncRunMessage), nextPageToken: page.nextPageToken };
    },

    async getEntityState(request) {
      const entity = entityNamed(request.entity);
      return { entity: toEntityMessage(entity, await runner.entityState(entity)) };
    },

    async invalidateCache(request, context) {
      const entity = entityNamed(request.entity);
      // A cache drop is not transactional: its event is recorded once the drop has happened.
      const record = (after: object) =>
        orm.em.fork().transactional((em) => recordAudit(em, auditEntry(context, 'InvalidateCache', entity, after)));
      if (request.keys.length === 0) {
        await store.invalidateAll(entity);
        await record({ keys: 'all' });
        return { dropped: 0 };
      }
      if (request.keys.length > MAX_INVALIDATE_KEYS) {
        throw invalidArgument('TOO_MANY_KEYS', `at most ${MAX_INVALIDATE_KEYS} keys per call`, [
          { field: 'keys', description: `has ${request.keys.length} keys; send none to drop the whole entity` },
        ]);
      }
      const violations = request.keys.flatMap((key, index) =>
        key.values.length === entity.key.length
          ? []
          : [{ field: `keys[${index}].values`, description: `${entity.name} keys have ${entity.key.length} values (${entity.key.join(', ')})` }],
      );
      if (violations.length > 0) throw invalidArgument('INVALID_RECORD_KEY', 'some keys do not fit the entity key', violations);
      const recordKeys = [...new Set(request.keys.map((key) => encodeRecordKey(key.values)))];
      await store.invalidate(entity, recordKeys);
      await record({ keys: request.keys.map((key) => key.values), dropped: recordKeys.length });
      return { dropped: recordKeys.length };
    },
  };
}
