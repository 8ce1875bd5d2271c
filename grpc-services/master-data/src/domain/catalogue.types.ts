/**
 * The shape of one catalogue entry. The catalogue is the single place an Oracle EBS view is
 * declared: the mirror, the cache, the sync, the gRPC API and the fixture source all read it, so
 * adding an entity is adding one entry.
 */
export type ColumnType = 'string' | 'number' | 'date';

export interface ColumnDef {
  /** Oracle column name, upper case, as the view returns it. */
  readonly name: string;
  readonly type: ColumnType;
}

export interface EntityDef {
  /** Catalogue name, kebab-case, e.g. `customer`, `ar-term`. */
  readonly name: string;
  /** One line for data teams: what the view holds. */
  readonly description: string;
  /** Oracle view the rows come from (schema-qualified where the legacy code qualified it). */
  readonly view: string;
  /**
   * SELECT list + FROM clause for views the legacy code built from joins (geotree, item-list, …).
   * When absent the source selects the declared columns from `view`.
   */
  readonly fromSql?: string;
  /** Key columns, in key order; together unique in the view. */
  readonly key: readonly string[];
  /** Updated-at column for incremental sync; absent when the view has none (full sync only). */
  readonly updatedAt?: string;
  readonly columns: readonly ColumnDef[];
  /** Columns text search covers (names and codes). */
  readonly search: readonly string[];
  /** Columns ListRecords accepts equality filters on. */
  readonly filters: readonly string[];
  /** Hot-cache time-to-live for reads. */
  readonly cacheTtlSeconds: number;
  /** Cron (Asia/Jakarta) of the incremental sync. */
  readonly incrementalSchedule: string;
  /** Cron (Asia/Jakarta) of the full reconcile. */
  readonly fullSchedule: string;
}
