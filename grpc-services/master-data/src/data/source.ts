import type { EntityDef } from '../domain/catalogue.types.js';

/** A value as the source returns it: Oracle NUMBER → number, VARCHAR2 → string, DATE → Date. */
export type SourceValue = string | number | Date | null;

/** One view row, by Oracle column name. */
export type SourceRow = Readonly<Record<string, SourceValue>>;

export interface SourceReadOptions {
  /** Only rows whose updated-at column is at or after this instant (incremental sync). */
  readonly since?: Date;
  /** Rows per batch yielded; the source never holds more than about this many rows in memory. */
  readonly batchSize: number;
  readonly signal?: AbortSignal;
}

/**
 * Where master data comes from: Oracle EBS in production, the deterministic fixture in the
 * embedded mode and in tests. Sync streams from it; a get-by-key that misses the mirror reads it.
 */
export interface MasterDataSource {
  readonly kind: 'fixture' | 'oracle';
  /**
   * Streams every row of the entity (or those changed since `since`) in ascending key order, in
   * batches of at most `batchSize` rows, using keyset paging so memory stays bounded.
   */
  read(entity: EntityDef, options: SourceReadOptions): AsyncIterable<SourceRow[]>;
  /** One row by key column values (catalogue key order), or undefined. */
  getByKey(entity: EntityDef, key: readonly string[]): Promise<SourceRow | undefined>;
  close(): Promise<void>;
}
