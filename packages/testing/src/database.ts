import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A throwaway PostgreSQL database created for one test file. */
export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, terminating connections the test left open. */
  drop(): Promise<void>;
}

function serverUrl(database: string): string {
  const host = process.env.PGHOST ?? '127.0.0.1';
  const port = process.env.PGPORT ?? '5432';
  const user = process.env.PGUSER ?? 'postgres';
  const password = process.env.PGPASSWORD ? `:${encodeURIComponent(process.env.PGPASSWORD)}` : '';
  return `postgres://${encodeURIComponent(user)}${password}@${host}:${port}/${database}`;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named database on the shared PostgreSQL (PGHOST/PGPORT/PGUSER
 * respected, default postgres@127.0.0.1:5432), so parallel test files never see each other's rows.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: serverUrl(name),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A database name that does not exist yet (for testing create-on-first-start); drop it afterwards. */
export function uniqueDatabaseName(label: string): { url: string; name: string; drop(): Promise<void> } {
  const name = `t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return {
    name,
    url: serverUrl(name),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
