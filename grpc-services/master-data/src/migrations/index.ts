import type { MigrationObject } from '@core/platform';
import { auditMigration } from '@core/platform/audit';
import { Migration20261121000000Mirror } from './Migration20261121000000_mirror.js';
import { Migration20261121000100CodeLookup } from './Migration20261121000100_code_lookup.js';
import { Migration20261121000200SyncSeen } from './Migration20261121000200_sync_seen.js';

/**
 * Every migration of the service, oldest first. Listed explicitly (no folder scan) so the same
 * list runs from source under tsx, in tests and in the embedded one-process start.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121000000_mirror', class: Migration20261121000000Mirror },
  { name: 'Migration20261121000100_code_lookup', class: Migration20261121000100CodeLookup },
  { name: 'Migration20261121000200_sync_seen', class: Migration20261121000200SyncSeen },
  auditMigration,
];
