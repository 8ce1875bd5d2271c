import { Migration } from '@core/platform';

/**
 * Indexes for the daily purge, which deletes in batches by age: without them every batch scans
 * the whole table, and login attempts grow fastest exactly when the service is under attack.
 */
export class Migration20261121130000PurgeIndexes extends Migration {
  override up(): void {
    this.addSql('CREATE INDEX login_attempts_attempted_idx ON login_attempts (attempted_at)');
    this.addSql('CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at)');
  }

  override down(): void {
    this.addSql('DROP INDEX IF EXISTS refresh_tokens_expires_idx');
    this.addSql('DROP INDEX IF EXISTS login_attempts_attempted_idx');
  }
}
