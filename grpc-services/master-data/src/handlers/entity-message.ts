import { ColumnType, type Entity, type SyncState } from '@core/contracts/masterdata/v1';
import type { ColumnType as CatalogueColumnType, EntityDef } from '../domain/catalogue.types.js';
import type { EntitySyncState } from '../domain/sync-run.js';

const COLUMN_TYPES: Record<CatalogueColumnType, ColumnType> = {
  string: ColumnType.COLUMN_TYPE_STRING,
  number: ColumnType.COLUMN_TYPE_NUMBER,
  date: ColumnType.COLUMN_TYPE_DATE,
};

/** The `SyncState` message of an entity's freshness. */
export function toSyncStateMessage(state: EntitySyncState): SyncState {
  return {
    watermark: state.watermark,
    lastSuccessTime: state.lastSuccessAt,
    lastFullTime: state.lastFullAt,
    rowCount: state.rowCount,
    lagSeconds: state.lagSeconds,
    running: state.running,
  };
}

/**
 * The `Entity` message: a catalogue entry plus, when given, its freshness. Shared by
 * `MasterDataService.ListEntities` and `SyncService.GetEntityState` so both describe an entity alike.
 */
export function toEntityMessage(entity: EntityDef, state?: EntitySyncState): Entity {
  const keys = new Set(entity.key);
  const searchable = new Set(entity.search);
  const filterable = new Set(entity.filters);
  return {
    name: entity.name,
    view: entity.view,
    keyColumns: [...entity.key],
    updateColumn: entity.updatedAt ?? '',
    columns: entity.columns.map((column) => ({
      name: column.name,
      type: COLUMN_TYPES[column.type],
      key: keys.has(column.name),
      searchable: searchable.has(column.name),
      filterable: filterable.has(column.name),
    })),
    cacheTtlSeconds: entity.cacheTtlSeconds,
    incrementalSchedule: entity.incrementalSchedule,
    fullSchedule: entity.fullSchedule,
    state: state ? toSyncStateMessage(state) : undefined,
    description: entity.description,
  };
}
