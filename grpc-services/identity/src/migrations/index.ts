import type { MigrationObject } from '@core/platform';
import { auditMigration } from '@core/platform/audit';
import { Migration20261121100000Identity } from './Migration20261121100000_identity.js';
import { Migration20261121130000PurgeIndexes } from './Migration20261121130000_purge_indexes.js';

/**
 * Every migration of the service, oldest first. Listed explicitly (no folder scan) so the same
 * list runs from source under tsx, in tests and in the embedded one-process start.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121100000_identity', class: Migration20261121100000Identity },
  auditMigration,
  { name: 'Migration20261121130000_purge_indexes', class: Migration20261121130000PurgeIndexes },
];
