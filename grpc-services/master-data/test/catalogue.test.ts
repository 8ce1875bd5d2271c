import { DomainError } from '@core/platform';
import { validate as validCron } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { catalogue, findEntity, requireEntity } from '../src/domain/catalogue.js';

const columnsOf = (name: string) => requireEntity(name).columns.map((column) => column.name);

describe('master-data catalogue', () => {
  it('declares the 53 read views of the legacy service, each once', () => {
    expect(catalogue).toHaveLength(53);
    expect(new Set(catalogue.map((entity) => entity.name)).size).toBe(53);
  });

  it.each(catalogue.map((entity) => [entity.name, entity] as const))('%s is internally consistent', (_name, entity) => {
    const columns = entity.columns.map((column) => column.name);
    expect(new Set(columns).size).toBe(columns.length);
    for (const column of columns) expect(column).toMatch(/^[A-Z][A-Z0-9_$#]*$/);
    expect(entity.key.length).toBeGreaterThan(0);
    for (const column of [...entity.key, ...entity.search, ...entity.filters]) expect(columns).toContain(column);
    if (entity.updatedAt !== undefined) {
      expect(entity.columns.find((column) => column.name === entity.updatedAt)?.type).toBe('date');
    }
    expect(entity.search.length).toBeGreaterThan(0);
    expect(entity.description).toMatch(/^[A-Z].+\.$/);
    expect(entity.description).not.toContain('\n');
    expect(entity.view).toMatch(/^([A-Z][A-Z0-9_$#]*\.)?[A-Z][A-Z0-9_$#]*$/);
    expect(validCron(entity.incrementalSchedule)).toBe(true);
    expect(validCron(entity.fullSchedule)).toBe(true);
    expect(Number.isInteger(entity.cacheTtlSeconds)).toBe(true);
    expect(entity.cacheTtlSeconds).toBeGreaterThanOrEqual(60);
    expect(entity.cacheTtlSeconds).toBeLessThanOrEqual(86_400);
  });

  it('builds the join-based entities with SQL that selects exactly the declared columns', () => {
    const joinBuilt = [
      'geotree',
      'item-list',
      'hr-operating-unit',
      'purchase-order',
      'po-line',
      'open-sales-order',
      'inv-on-hand-qty',
      'inv-locator',
      'on-hand-mapping-detail',
      'do-validation',
    ];
    for (const name of joinBuilt) {
      const entity = requireEntity(name);
      expect(entity.fromSql, name).toMatch(/^SELECT /);
      const selectList = (entity.fromSql as string).slice(0, (entity.fromSql as string).search(/\n\s*FROM /));
      for (const column of entity.columns) {
        // Each declared column is produced either by name (a.COLUMN) or by alias (… AS COLUMN).
        expect(selectList, `${name}.${column.name}`).toMatch(new RegExp(`(\\.|AS |SELECT |, )${column.name.replace('$', '\\$')}(,|\\n|$)`));
      }
    }
    expect(requireEntity('geotree').fromSql).toMatch(/GREATEST\(/);
    for (const entity of catalogue) expect(entity.fromSql ?? '').not.toMatch(/FETCH\s+FIRST|OFFSET\s+\d|\bOFFSET\b/i);
  });

  it('offers the parent-code filters other domains page by', () => {
    const required: Record<string, string[]> = {
      customer: ['ORGANIZATION_CODE'],
      branch: ['REGION_CODE'],
      employee: ['ORGANIZATION_CODE', 'FLAG_SALESMAN'],
      warehouse: ['ORGANIZATION_CODE'],
      'sales-item': ['ORGANIZATION_CODE'],
      salesman: ['ORGANIZATION_CODE'],
      city: ['PROVINSI_CODE'],
      district: ['KOTAMADYA_CODE'],
      'sub-district': ['KECAMATAN_CODE'],
      'price-list': ['PRICE_LIST_ID', 'CUSTOMER_NUMBER'],
    };
    for (const [name, filters] of Object.entries(required)) {
      expect(requireEntity(name).filters, name).toEqual(expect.arrayContaining(filters));
    }
  });

  it('syncs incrementally only by a real updated-at column', () => {
    expect(requireEntity('customer').updatedAt).toBe('LAST_UPDATE_DATE');
    expect(requireEntity('mtl-trx-list').updatedAt).toBe('TRANSACTION_DATE');
    expect(requireEntity('geotree').updatedAt).toBe('LAST_UPDATE_DATE');
    // The legacy employee date filter was commented out and the view exposes no such column.
    expect(requireEntity('employee').updatedAt).toBeUndefined();
    expect(requireEntity('branch').updatedAt).toBeUndefined();
    expect(requireEntity('inv-on-hand-qty').updatedAt).toBeUndefined();
  });

  it('keeps stock short-lived in the cache and reference data long-lived', () => {
    for (const name of ['inv-on-hand-qty', 'inv-on-hand-qty-with-atr', 'sales-order-stock', 'ar-outstanding', 'open-sales-order']) {
      expect(requireEntity(name).cacheTtlSeconds, name).toBeLessThanOrEqual(300);
    }
    for (const name of ['customer', 'branch', 'region', 'province', 'city', 'currency', 'ar-term']) {
      expect(requireEntity(name).cacheTtlSeconds, name).toBeGreaterThanOrEqual(3600);
    }
  });

  it('uses clean key columns where the reference annotated them', () => {
    expect(requireEntity('warehouse').key).toEqual(['ORGANIZATION_ID', 'SUBINVENTORY_CODE', 'LOCATOR_ID']);
    expect(requireEntity('sales-item').key).toEqual(['ITEM_ID', 'ORGANIZATION_ID']);
    expect(requireEntity('inv-locator').key).toEqual(['ORGANIZATION_ID', 'SUBINVENTORY', 'LOCATOR_ID']);
    expect(columnsOf('inv-locator')).toContain('LOCATOR_ID');
  });

  it('finds entities by name', () => {
    expect(findEntity('customer')?.view).toBe('APPS.XTD_AR_CUSTOMERS_V');
    expect(findEntity('Customer')).toBeUndefined();
    expect(findEntity('')).toBeUndefined();
    expect(requireEntity('ar-term').key).toEqual(['TERM_ID']);
  });

  it('rejects an unknown entity as INVALID_ARGUMENT with a field violation', () => {
    const attempt = () => requireEntity('customers; DROP TABLE md_record');
    expect(attempt).toThrow(DomainError);
    try {
      attempt();
    } catch (error) {
      const domainError = error as DomainError;
      expect(domainError.code).toBe('INVALID_ARGUMENT');
      expect(domainError.reason).toBe('UNKNOWN_ENTITY');
      expect(domainError.message).toBe('unknown entity "customers; DROP TABLE md_record"');
      expect(domainError.fieldViolations).toEqual([{ field: 'entity', description: expect.stringContaining('53') }]);
    }
    const long = 'x'.repeat(10_000);
    expect(() => requireEntity(long)).toThrow(/^unknown entity "x{64}…"$/);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(catalogue)).toBe(true);
    expect(Object.isFrozen(requireEntity('customer'))).toBe(true);
  });
});
