import { createLogger } from '@core/platform';
import { describe, expect, it } from 'vitest';
import { createOracleSource } from '../src/data/oracle/index.js';
import type { SourceRow } from '../src/data/source.js';
import { requireEntity } from '../src/domain/catalogue.js';

/**
 * Runs only against a real Oracle EBS database: set ORACLE_CONNECT_STRING (and ORACLE_USER,
 * ORACLE_PASSWORD; ORACLE_CLIENT_LIB_DIR for Thick mode on 11g). No Oracle server can run on the
 * development machine, so without those settings this suite is not collected; the SQL it sends is
 * covered by oracle-sql.test.ts and everything above the adapter by the fixture source.
 */
describe.runIf(Boolean(process.env.ORACLE_CONNECT_STRING))('oracle source against a live database', () => {
  const options = () => ({
    user: process.env.ORACLE_USER ?? '',
    password: process.env.ORACLE_PASSWORD ?? '',
    connectString: process.env.ORACLE_CONNECT_STRING ?? '',
    clientLibDir: process.env.ORACLE_CLIENT_LIB_DIR || undefined,
    poolMax: 2,
    logger: createLogger('oracle-live-test', { level: 'warn' }),
  });

  it('reads customers in key order, page after page, and one back by key', async () => {
    const source = createOracleSource(options());
    const customer = requireEntity('customer');
    try {
      const rows: SourceRow[] = [];
      for await (const batch of source.read(customer, { batchSize: 50 })) {
        expect(batch.length).toBeLessThanOrEqual(50);
        rows.push(...batch);
        if (rows.length >= 120) break;
      }
      expect(rows.length).toBeGreaterThan(0);
      for (let i = 1; i < rows.length; i += 1) {
        expect(Number(rows[i]?.CUST_ACCOUNT_ID)).toBeGreaterThan(Number(rows[i - 1]?.CUST_ACCOUNT_ID));
      }
      const first = rows[0] as SourceRow;
      expect(typeof first.CUST_ACCOUNT_ID).toBe('number');
      if (first.LAST_UPDATE_DATE !== null) expect(first.LAST_UPDATE_DATE).toBeInstanceOf(Date);
      const again = await source.getByKey(customer, [String(first.CUST_ACCOUNT_ID)]);
      expect(again?.CUSTOMER_NUMBER).toBe(first.CUSTOMER_NUMBER);
      expect(await source.getByKey(customer, ['not-a-number'])).toBeUndefined();
    } finally {
      await source.close();
    }
  });
});

describe('oracle source without a database', () => {
  it('reports an unreachable Oracle as UNAVAILABLE, for reads and key lookups alike', async () => {
    // Port 1 on loopback refuses connections: a real connection attempt that fails at once.
    const source = createOracleSource({
      user: 'apps',
      password: 'not-used',
      connectString: '127.0.0.1:1/EBSPROD',
      logger: createLogger('oracle-unreachable-test', { level: 'silent' }),
    });
    const customer = requireEntity('customer');
    try {
      await expect(async () => {
        for await (const _batch of source.read(customer, { batchSize: 10 })) break;
      }).rejects.toMatchObject({ code: 'UNAVAILABLE', reason: 'ORACLE_UNAVAILABLE' });
      await expect(source.getByKey(customer, ['100001'])).rejects.toMatchObject({ code: 'UNAVAILABLE', reason: 'ORACLE_UNAVAILABLE' });
      // A key that cannot match needs no database at all.
      expect(await source.getByKey(customer, ['abc'])).toBeUndefined();
      // The wrong number of key values is bad input, as in the fixture source.
      await expect(source.getByKey(customer, ['1', '2'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_RECORD_KEY' });
    } finally {
      await source.close();
    }
  });
});
