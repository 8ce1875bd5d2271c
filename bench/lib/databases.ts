import { createTestDatabase } from '@core/testing';

/**
 * Fresh PostgreSQL databases for the benchmarks, created through the project's test helper and all
 * dropped when the run ends, so repeated runs leave nothing behind.
 */
export function createDatabasePool(log: (message: string) => void) {
  const created: Array<{ url: string; drop(): Promise<void> }> = [];
  return {
    async fresh(purpose: string): Promise<string> {
      const database = await createTestDatabase(purpose);
      created.push(database);
      return database.url;
    },
    async dropAll(): Promise<void> {
      for (const database of created.splice(0)) {
        try {
          await database.drop();
        } catch (error) {
          log(`could not drop ${database.url}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    },
  };
}
