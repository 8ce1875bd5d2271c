import type { AnyEntity, EntityClass, EntitySchema, MigrationObject, MikroORM, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from './logger.js';

export type { MigrationObject } from '@mikro-orm/core';
export { Migration } from '@mikro-orm/migrations';

/** Options of {@link initORM}. */
export interface InitORMOptions {
  /** `postgres://…`, `pglite:<dir>` or `pglite:memory` (see `databaseConfig`). */
  url: string;
  entities: (EntitySchema | EntityClass<AnyEntity>)[];
  /** Every migration, oldest first; the same list runs on PostgreSQL and PGlite. */
  migrations: MigrationObject[];
  logger: Logger;
  pool?: { min?: number; max?: number };
}

function common(options: InitORMOptions): Partial<Options> {
  const ormLogger = options.logger.child({ component: 'mikro-orm' });
  return {
    entities: options.entities,
    extensions: [Migrator],
    // Every unit of work must fork its own EntityManager; a shared global context leaks identity maps across requests.
    allowGlobalContext: false,
    debug: false,
    logger: (message) => ormLogger.debug(message),
    migrations: {
      migrationsList: options.migrations,
      transactional: true,
      allOrNothing: true,
      // Containers run with a read-only root filesystem; there is no schema snapshot to keep.
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
    },
  };
}

async function open(options: InitORMOptions): Promise<MikroORM> {
  const { url } = options;
  if (url.startsWith('pglite:')) {
    const { MikroORM: PgliteORM } = await import('@mikro-orm/pglite');
    const location = url.slice('pglite:'.length);
    return (await PgliteORM.init({
      ...common(options),
      dbName: location === 'memory' ? 'memory://' : location,
    } as never)) as unknown as MikroORM;
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { MikroORM: PostgresORM } = await import('@mikro-orm/postgresql');
    return (await PostgresORM.init({
      ...common(options),
      clientUrl: url,
      // Creates the database on first start when the role is allowed to; otherwise fails with the server's reason.
      ensureDatabase: true,
      pool: { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10 },
    } as never)) as unknown as MikroORM;
  }
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(':')[0]}`);
}

/**
 * Opens the service database and brings its schema up to date. `postgres://…` uses the
 * PostgreSQL driver; `pglite:…` runs PostgreSQL in-process (WASM) for the one-process start and
 * quick local runs. Only the drivers' loading differs; entities and migrations are shared.
 */
export async function initORM(options: InitORMOptions): Promise<MikroORM> {
  const orm = await open(options);
  try {
    const applied = await orm.migrator.up();
    if (applied.length > 0) options.logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
  } catch (err) {
    await orm.close(true);
    throw err;
  }
  return orm;
}
