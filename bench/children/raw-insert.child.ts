/**
 * Baseline for benchmark (d): the same fixture customer rows, prepared into the same row JSON as
 * the mirror stores (`toMirrorRow`), written with plain multi-row INSERTs of 1000 rows through `pg`
 * into a table created `LIKE md_record INCLUDING ALL` (same columns, keys and indexes), no upsert,
 * no change detection, no history. Environment: BENCH_DATABASE_URL (fresh), BENCH_ROWS.
 */
import pg from 'pg';
import { createLogger, initORM } from '@core/platform';
import { migrations } from '../../grpc-services/master-data/src/migrations/index.js';
import { mirrorEntities } from '../../grpc-services/master-data/src/data/mirror.entities.js';
import { toMirrorRow } from '../../grpc-services/master-data/src/data/mirror-writer.js';
import { createFixtureSource } from '../../grpc-services/master-data/src/data/fixture/index.js';
import { requireEntity } from '../../grpc-services/master-data/src/domain/catalogue.js';
import { readPeakRss, sampleHeap, serveParent } from '../lib/child.js';

const BATCH = 1000;
const COLUMNS = 7;

await serveParent(async () => {
  const url = process.env.BENCH_DATABASE_URL;
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  if (!url) throw new Error('BENCH_DATABASE_URL is not set');
  const logger = createLogger('bench-raw-insert', { level: 'warn' });
  // The table shape comes from the service's own migrations, so the copy has the same indexes.
  const orm = await initORM({ url, entities: mirrorEntities, migrations, logger });
  await orm.close(true);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE TABLE md_record_raw (LIKE md_record INCLUDING ALL)');

  return {
    info: { rows },
    handlers: {
      run: async () => {
        const entity = requireEntity('customer');
        const source = createFixtureSource({ scale: { customer: rows } });
        const statements = new Map<number, string>();
        const statementFor = (count: number) => {
          let sql = statements.get(count);
          if (!sql) {
            const tuples = Array.from({ length: count }, (_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(',')})`);
            sql = `INSERT INTO md_record_raw (entity, record_key, data, search_text, row_hash, source_updated_at, synced_at) VALUES ${tuples.join(',')}`;
            statements.set(count, sql);
          }
          return sql;
        };
        const heap = sampleHeap();
        const started = process.hrtime.bigint();
        let written = 0;
        try {
          for await (const batch of source.read(entity, { batchSize: BATCH })) {
            const syncedAt = new Date();
            const params: unknown[] = [];
            for (const row of batch) {
              const m = toMirrorRow(entity, row);
              params.push(entity.name, m.recordKey, m.dataJson, m.searchText, m.rowHash, m.sourceUpdatedAt ?? null, syncedAt);
            }
            await client.query(statementFor(batch.length), params);
            written += batch.length;
          }
        } finally {
          await source.close();
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const counted = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM md_record_raw');
        return { rows: written, counted: Number(counted.rows[0]?.n ?? 0), seconds, peakRssBytes: await readPeakRss(), ...heap.stop() };
      },
    },
    stop: async () => {
      await client.end();
    },
  };
});
