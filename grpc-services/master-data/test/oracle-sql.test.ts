import { describe, expect, it } from 'vitest';
import {
  buildGetByKeyQuery,
  buildPageQuery,
  fromClause,
  keysetPredicate,
  SESSION_SETUP_SQL,
  toOracleDateText,
} from '../src/data/oracle/sql.js';
import { catalogue, requireEntity } from '../src/domain/catalogue.js';

const HOSTILE = "JAT' OR '1'='1' --";

/** The statement must run on Oracle 11g: ROWNUM paging, never the 12c row-limiting clause. */
function expect11gShape(sql: string): void {
  expect(sql).toMatch(/^SELECT \* FROM \(SELECT .+ ORDER BY .+\) WHERE ROWNUM <= :limit$/s);
  expect(sql).not.toMatch(/\bFETCH\b|\bOFFSET\b|\bLIMIT\s+\d/i);
}

describe('oracle SQL builder', () => {
  it('pages the first page of a view with ROWNUM over an ordered subquery', () => {
    const { sql, binds } = buildPageQuery(requireEntity('customer'), { limit: 500 });
    expect11gShape(sql);
    expect(sql).toContain(' FROM APPS.XTD_AR_CUSTOMERS_V ORDER BY CUST_ACCOUNT_ID)');
    expect(sql).not.toContain('WHERE CUST');
    expect(binds).toEqual({ limit: 500 });
  });

  it('selects exactly the declared columns', () => {
    const customer = requireEntity('customer');
    const { sql } = buildPageQuery(customer, { limit: 1 });
    const selectList = sql.slice('SELECT * FROM (SELECT '.length, sql.indexOf(' FROM APPS.'));
    expect(selectList.split(', ')).toEqual(customer.columns.map((column) => column.name));
  });

  it('filters by updated-at through a bound UTC date, compared as DATE', () => {
    const since = new Date('2026-01-01T07:30:15.900Z');
    const { sql, binds } = buildPageQuery(requireEntity('customer'), { since, limit: 1000 });
    expect11gShape(sql);
    expect(sql).toContain("WHERE LAST_UPDATE_DATE >= TO_DATE(:since, 'YYYY-MM-DD HH24:MI:SS')");
    // Truncated to the second: DATE has no fractions, and truncating keeps the row of that second.
    expect(binds).toEqual({ since: '2026-01-01 07:30:15', limit: 1000 });
    expect(toOracleDateText(new Date('1999-12-31T23:59:59Z'))).toBe('1999-12-31 23:59:59');
  });

  it('ignores since for an entity without an updated-at column (full reads only)', () => {
    const { sql, binds } = buildPageQuery(requireEntity('branch'), { since: new Date(), limit: 10 });
    expect(sql).not.toContain(':since');
    expect(binds).toEqual({ limit: 10 });
  });

  it('continues after the last key with binds, for a single-column key', () => {
    const { sql, binds } = buildPageQuery(requireEntity('customer'), { after: [100_500], limit: 1000 });
    expect11gShape(sql);
    expect(sql).toContain('WHERE (CUST_ACCOUNT_ID > :k0) ORDER BY CUST_ACCOUNT_ID)');
    expect(binds).toEqual({ k0: 100_500, limit: 1000 });
  });

  it('expands a composite keyset predicate in key order', () => {
    const warehouse = requireEntity('warehouse');
    expect(keysetPredicate(warehouse)).toBe(
      '((ORGANIZATION_ID > :k0)' +
        ' OR (ORGANIZATION_ID = :k0 AND SUBINVENTORY_CODE > :k1)' +
        ' OR (ORGANIZATION_ID = :k0 AND SUBINVENTORY_CODE = :k1 AND LOCATOR_ID > :k2))',
    );
    const since = new Date('2025-06-01T00:00:00Z');
    const { sql, binds } = buildPageQuery(warehouse, { since, after: [105, 'CANVAS', 100_503], limit: 200 });
    expect11gShape(sql);
    expect(sql).toContain(`WHERE LAST_UPDATE_DATE >= TO_DATE(:since, 'YYYY-MM-DD HH24:MI:SS') AND ${keysetPredicate(warehouse)}`);
    expect(sql).toContain('ORDER BY ORGANIZATION_ID, SUBINVENTORY_CODE, LOCATOR_ID)');
    expect(binds).toEqual({ since: '2025-06-01 00:00:00', k0: 105, k1: 'CANVAS', k2: 100_503, limit: 200 });
  });

  it('never puts values into the SQL text', () => {
    const onHand = requireEntity('inv-on-hand-qty');
    const { sql, binds } = buildPageQuery(onHand, { after: [HOSTILE, 'GUDANG', 'GTN0101', 'BKS'], limit: 5 });
    expect(sql).not.toContain('JAT');
    expect(sql).not.toContain("'1'='1'");
    expect(binds.k0).toBe(HOSTILE);
    const byKey = buildGetByKeyQuery(requireEntity('region'), [HOSTILE]);
    expect(byKey?.sql).toBe('SELECT REGION_CODE, REGION_NAME, LAST_UPDATE_DATE FROM APPS.XTD_INV_REGION_V WHERE REGION_CODE = :k0');
    expect(byKey?.binds).toEqual({ k0: HOSTILE });
  });

  it('reads join-built entities from their SQL as an inline view', () => {
    const geotree = requireEntity('geotree');
    expect(fromClause(geotree)).toBe(`(${geotree.fromSql}) src`);
    const { sql } = buildPageQuery(geotree, { after: ['31', '31.75', '31.75.04', '31.75.04.1003'], limit: 100 });
    expect11gShape(sql);
    expect(sql).toContain(`FROM (${geotree.fromSql}) src WHERE (`);
    expect(sql).toContain('ORDER BY PROVINSI_CODE, KOTAMADYA_CODE, KECAMATAN_CODE, KELURAHAN_CODE)');
  });

  it('builds an 11g page query for every catalogue entity', () => {
    for (const entity of catalogue) {
      const after = entity.key.map(() => 'x');
      const { sql, binds } = buildPageQuery(entity, { since: new Date(0), after, limit: 1000 });
      expect11gShape(sql);
      expect(Object.keys(binds).sort(), entity.name).toEqual(
        [...(entity.updatedAt ? ['since'] : []), ...entity.key.map((_, i) => `k${i}`), 'limit'].sort(),
      );
      for (const column of entity.key) expect(sql, entity.name).toContain(`${column} > :k`);
    }
  });

  it('rejects a bad page size or a keyset of the wrong length', () => {
    expect(() => buildPageQuery(requireEntity('customer'), { limit: 0 })).toThrow(RangeError);
    expect(() => buildPageQuery(requireEntity('customer'), { limit: 1.5 })).toThrow(RangeError);
    expect(() => buildPageQuery(requireEntity('warehouse'), { after: [1], limit: 10 })).toThrow(RangeError);
  });

  it('gets one row by text key, typed per column', () => {
    const priceList = buildGetByKeyQuery(requireEntity('price-list'), ['6001', '1000123']);
    expect(priceList?.sql).toMatch(/ FROM XTD_ONT_PRICE_LISTS_V WHERE PRICE_LIST_ID = :k0 AND PRICE_LIST_LINE_ID = :k1$/);
    expect(priceList?.binds).toEqual({ k0: 6001, k1: 1_000_123 });
    // A key that cannot be a NUMBER matches nothing: no statement at all rather than an ORA-01722.
    expect(buildGetByKeyQuery(requireEntity('customer'), ['abc'])).toBeUndefined();
    expect(buildGetByKeyQuery(requireEntity('customer'), [''])).toBeUndefined();
    expect(buildGetByKeyQuery(requireEntity('price-list'), ['6001'])).toBeUndefined();
  });

  it('sets every pooled session to UTC and binary sorting', () => {
    expect(SESSION_SETUP_SQL).toMatch(/^ALTER SESSION SET TIME_ZONE = 'UTC'/);
    expect(SESSION_SETUP_SQL).toContain("NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS'");
    expect(SESSION_SETUP_SQL).toContain('NLS_SORT = BINARY');
  });
});
