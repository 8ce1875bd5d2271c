/** How much of a view a run reads: rows changed since the watermark, or every row (with deletions). */
export type SyncMode = 'incremental' | 'full';

/** What started a run: the entity's cron, a person (gRPC/CLI/GraphQL), or a first start. */
export type SyncTrigger = 'schedule' | 'manual' | 'bootstrap';

/** Where a run is; a failed run keeps the rows it applied but never moves the watermark. */
export type SyncRunStatus = 'running' | 'succeeded' | 'failed';

/** One entry of the run history (a row of `md_sync_run`). */
export interface SyncRunRecord {
  readonly id: string;
  readonly entity: string;
  readonly mode: SyncMode;
  readonly trigger: SyncTrigger;
  /** Subject of the caller, `scheduler`, or `anonymous` while identity is not wired. */
  readonly triggeredBy: string;
  readonly status: SyncRunStatus;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
  readonly rowsRead: number;
  readonly rowsUpserted: number;
  readonly rowsDeleted: number;
  readonly watermarkFrom?: Date;
  readonly watermarkTo?: Date;
  readonly error?: string;
  /** Replica (host:pid) that ran it. */
  readonly runner: string;
}

/** What the mirror knows about one entity's freshness (`md_sync_state` plus the running flag). */
export interface EntitySyncState {
  readonly entity: string;
  /** Highest source updated-at mirrored; undefined before the first successful run. */
  readonly watermark?: Date;
  readonly lastSuccessAt?: Date;
  readonly lastFullAt?: Date;
  readonly rowCount: number;
  /** Seconds since the last successful run finished; -1 when none has. */
  readonly lagSeconds: number;
  /** Whether a run of the entity is in progress on any replica. */
  readonly running: boolean;
}
