import { Migration } from '@core/platform';

/**
 * The mirror: every catalogue entity in one `md_record` table (adding an entity needs no
 * migration), plus the sync history and per-entity sync state. Plain SQL so the same migration
 * runs on PostgreSQL and PGlite.
 */
export class Migration20261121000000Mirror extends Migration {
  override up(): void {
    this.addSql(`CREATE TABLE md_record (
  entity            text        NOT NULL,
  record_key        text        NOT NULL,
  data              jsonb       NOT NULL,
  search_text       text        NOT NULL DEFAULT '',
  row_hash          text        NOT NULL,
  source_updated_at timestamptz NULL,
  synced_at         timestamptz NOT NULL,
  PRIMARY KEY (entity, record_key)
)`);
    this.addSql('CREATE INDEX md_record_updated_idx ON md_record (entity, source_updated_at, record_key)');
    this.addSql(`CREATE TABLE md_sync_run (
  id             uuid        PRIMARY KEY,
  entity         text        NOT NULL,
  mode           text        NOT NULL,
  trigger        text        NOT NULL,
  triggered_by   text        NOT NULL,
  status         text        NOT NULL,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NULL,
  rows_read      bigint      NOT NULL DEFAULT 0,
  rows_upserted  bigint      NOT NULL DEFAULT 0,
  rows_deleted   bigint      NOT NULL DEFAULT 0,
  watermark_from timestamptz NULL,
  watermark_to   timestamptz NULL,
  error          text        NULL,
  runner         text        NOT NULL
)`);
    this.addSql('CREATE INDEX md_sync_run_entity_idx ON md_sync_run (entity, started_at DESC)');
    this.addSql('CREATE INDEX md_sync_run_started_idx ON md_sync_run (started_at DESC, id)');
    this.addSql(`CREATE TABLE md_sync_state (
  entity          text        PRIMARY KEY,
  watermark       timestamptz NULL,
  last_success_at timestamptz NULL,
  last_full_at    timestamptz NULL,
  row_count       bigint      NOT NULL DEFAULT 0
)`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS md_sync_state');
    this.addSql('DROP TABLE IF EXISTS md_sync_run');
    this.addSql('DROP TABLE IF EXISTS md_record');
  }
}
