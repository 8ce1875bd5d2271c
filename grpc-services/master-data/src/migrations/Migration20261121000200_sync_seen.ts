import { Migration } from '@core/platform';

/**
 * Keys a full reconcile read but did not rewrite. Recording them here, instead of re-stamping
 * `synced_at` on every unchanged mirror row, lets a full run of an unchanged view write a narrow
 * key per row rather than a new version of a wide row (plus WAL and index entries). UNLOGGED: the
 * rows live only for the duration of one run, so a crash losing them costs nothing — a run that
 * did not finish never sweeps.
 */
export class Migration20261121000200SyncSeen extends Migration {
  override up(): void {
    this.addSql(`CREATE UNLOGGED TABLE md_sync_seen (
  run_id     uuid NOT NULL,
  entity     text NOT NULL,
  record_key text NOT NULL,
  PRIMARY KEY (run_id, record_key)
)`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS md_sync_seen');
  }
}
