import { defineEntity, p } from '@mikro-orm/core';
import { createTestDatabase, testLogger, uniqueDatabaseName } from '@core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { initORM, Migration, type MigrationObject } from '../src/index.js';

const Branch = defineEntity({
  name: 'Branch',
  tableName: 'branch',
  properties: {
    code: p.string().primary(),
    name: p.string(),
  },
});

class Migration20261121000000Branch extends Migration {
  override up(): void {
    this.addSql('CREATE TABLE branch (code text PRIMARY KEY, name text NOT NULL)');
  }
}

const migrations: MigrationObject[] = [{ name: 'Migration20261121000000_branch', class: Migration20261121000000Branch }];
const logger = testLogger();
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

async function roundTrip(url: string): Promise<void> {
  const orm = await initORM({ url, entities: [Branch], migrations, logger });
  try {
    const em = orm.em.fork();
    em.create(Branch, { code: 'JKT', name: 'Jakarta' });
    await em.flush();
    const found = await orm.em.fork().findOne(Branch, { code: 'JKT' });
    expect(found?.name).toBe('Jakarta');
    // allowGlobalContext: false — a request must fork its own EntityManager.
    await expect(orm.em.findOne(Branch, { code: 'JKT' })).rejects.toThrow(/global/i);
  } finally {
    await orm.close();
  }
}

describe('initORM', () => {
  it('migrates a fresh PostgreSQL database and is idempotent on restart', async () => {
    const db = await createTestDatabase('platform-orm');
    drops.push(db.drop);
    await roundTrip(db.url);
    const again = await initORM({ url: db.url, entities: [Branch], migrations, logger });
    const rows = await again.em.fork().getConnection().execute('SELECT count(*)::int AS n FROM branch');
    expect(rows).toEqual([{ n: 1 }]);
    await again.close();
  });

  it('creates the database on first start when it does not exist', async () => {
    const db = uniqueDatabaseName('platform-orm-new');
    drops.push(db.drop);
    await roundTrip(db.url);
  });

  it('runs the same migrations on pglite:memory', async () => {
    await roundTrip('pglite:memory');
  });

  it('refuses an unknown database scheme', async () => {
    await expect(initORM({ url: 'mysql://localhost/x', entities: [Branch], migrations, logger })).rejects.toThrow(/unsupported/);
  });
});
