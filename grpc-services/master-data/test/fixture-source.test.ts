import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { DomainError } from '@core/platform';
import { describe, expect, it } from 'vitest';
import { createFixtureSource } from '../src/data/fixture/index.js';
import type { SourceRow, SourceValue } from '../src/data/source.js';
import { catalogue, requireEntity } from '../src/domain/catalogue.js';
import type { EntityDef } from '../src/domain/catalogue.types.js';

async function readAll(source: ReturnType<typeof createFixtureSource>, name: string, since?: Date): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const batch of source.read(requireEntity(name), { batchSize: 1000, since })) rows.push(...batch);
  return rows;
}

function compare(a: SourceValue, b: SourceValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function compareKeys(entity: EntityDef, a: SourceRow, b: SourceRow): number {
  for (const column of entity.key) {
    const order = compare(a[column] ?? null, b[column] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

function typeOf(value: SourceValue): string {
  return value instanceof Date ? 'date' : typeof value;
}

function expectDomainError(fn: () => unknown, code: string, reason: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DomainError);
  expect((thrown as DomainError).code).toBe(code);
  expect((thrown as DomainError).reason).toBe(reason);
}

describe('fixture source', () => {
  it('gives every catalogue entity rows shaped like its view, in strictly increasing key order, in bounded batches', async () => {
    const source = createFixtureSource();
    const batchSize = 997;
    for (const entity of catalogue) {
      const types = new Map(entity.columns.map((column) => [column.name, column.type]));
      const names = entity.columns.map((column) => column.name).sort();
      let previous: SourceRow | undefined;
      let count = 0;
      const problems: string[] = [];
      for await (const batch of source.read(entity, { batchSize })) {
        expect(batch.length, entity.name).toBeGreaterThan(0);
        expect(batch.length, entity.name).toBeLessThanOrEqual(batchSize);
        for (const row of batch) {
          count += 1;
          // Problems are collected, not asserted per value: a million expect() calls take minutes.
          if (Object.keys(row).sort().join() !== names.join()) problems.push(`columns ${Object.keys(row).join()}`);
          for (const [column, value] of Object.entries(row)) {
            if (value !== null && typeOf(value) !== types.get(column)) problems.push(`${column} is ${typeOf(value)}`);
          }
          for (const column of entity.key) if (row[column] === null) problems.push(`NULL key ${column}`);
          if (previous !== undefined && compareKeys(entity, previous, row) >= 0) problems.push(`key order at row ${count}`);
          previous = row;
        }
      }
      expect(problems.slice(0, 5), entity.name).toEqual([]);
      expect(count, entity.name).toBeGreaterThan(0);
      expect(count, entity.name).toBe(source.count(entity.name));
    }
    await source.close();
  });

  it('is deterministic: two instances with one seed produce the same rows, another seed different ones', async () => {
    const first = createFixtureSource({ seed: 7 });
    const second = createFixtureSource({ seed: 7 });
    const other = createFixtureSource({ seed: 8 });
    for (const name of ['customer', 'employee', 'price-list', 'geotree', 'mtl-trx-list']) {
      const a = await readAll(first, name);
      expect(await readAll(second, name), name).toEqual(a);
      if (name !== 'geotree') expect(await readAll(other, name), name).not.toEqual(a);
    }
  });

  it('has at least 10,000 customers by default, with Indonesian names and addresses', async () => {
    const source = createFixtureSource();
    const customers = await readAll(source, 'customer');
    expect(customers.length).toBeGreaterThanOrEqual(10_000);
    expect(source.count('customer')).toBe(customers.length);
    const names = customers.map((row) => String(row.CUSTOMER_NAME));
    expect(names.some((name) => /^(Toko|UD|CV|Warung|Kios|Grosir|Agen|PD|Toko Kelontong) /.test(name))).toBe(true);
    expect(new Set(names).size).toBeGreaterThan(100);
    expect(customers.every((row) => String(row.ADDRESS1).startsWith('Jl. '))).toBe(true);
    const provinces = await readAll(source, 'province');
    expect(provinces).toHaveLength(38);
    expect(provinces.map((row) => row.PROVINSI_NAME)).toEqual(expect.arrayContaining(['DKI Jakarta', 'Jawa Barat', 'Papua Barat Daya']));
  });

  it('is referentially consistent across views', async () => {
    const source = createFixtureSource();
    const index = async (name: string, column: string) => new Map((await readAll(source, name)).map((row) => [row[column], row]));
    const regions = await index('region', 'REGION_CODE');
    const branches = await index('branch', 'ORGANIZATION_ID');
    const branchByCode = await index('branch', 'ORGANIZATION_CODE');
    const provinces = await index('province', 'PROVINSI_CODE');
    const cities = await index('city', 'KOTAMADYA_CODE');
    const districts = await index('district', 'KECAMATAN_CODE');
    const subDistricts = await index('sub-district', 'KELURAHAN_CODE');
    const terms = await index('ar-term', 'TERM_ID');
    const orderTypes = await index('sales-order-type', 'TRANSACTION_TYPE_ID');
    const itemCodes = new Set((await readAll(source, 'sales-item')).map((row) => row.ITEM_CODE));
    const employees = await index('employee', 'EMPLOYEE_NUMBER');
    const locators = await index('warehouse', 'LOCATOR_ID');
    const salesmen = await index('salesman', 'SALESREP_NUMBER');

    for (const branch of branches.values()) expect(regions.has(branch.REGION_CODE ?? null)).toBe(true);
    for (const city of cities.values()) expect(provinces.has(city.PROVINSI_CODE ?? null)).toBe(true);
    for (const district of districts.values()) expect(cities.has(district.KOTAMADYA_CODE ?? null)).toBe(true);
    for (const subDistrict of subDistricts.values()) expect(districts.has(subDistrict.KECAMATAN_CODE ?? null)).toBe(true);

    const geotree = await readAll(source, 'geotree');
    expect(geotree).toHaveLength(subDistricts.size);
    for (const row of geotree) {
      const kelurahan = subDistricts.get(row.KELURAHAN_CODE ?? null);
      expect(kelurahan?.KECAMATAN_CODE).toBe(row.KECAMATAN_CODE);
      expect(districts.get(row.KECAMATAN_CODE ?? null)?.KOTAMADYA_CODE).toBe(row.KOTAMADYA_CODE);
      expect(cities.get(row.KOTAMADYA_CODE ?? null)?.PROVINSI_CODE).toBe(row.PROVINSI_CODE);
      expect(provinces.get(row.PROVINSI_CODE ?? null)?.PROVINSI_NAME).toBe(row.PROVINSI);
      expect(kelurahan?.KELURAHAN_NAME).toBe(row.KELURAHAN);
      // The geotree is as new as its newest level.
      const levels = [provinces.get(row.PROVINSI_CODE ?? null), cities.get(row.KOTAMADYA_CODE ?? null), districts.get(row.KECAMATAN_CODE ?? null), kelurahan];
      const newest = Math.max(...levels.map((level) => (level?.LAST_UPDATE_DATE instanceof Date ? level.LAST_UPDATE_DATE.getTime() : Number.NaN)));
      expect((row.LAST_UPDATE_DATE as Date).getTime()).toBe(newest);
    }

    const cityNames = new Set([...cities.values()].map((city) => city.KOTAMADYA));
    const provinceNames = new Set([...provinces.values()].map((province) => province.PROVINSI_NAME));
    const customers = await readAll(source, 'customer');
    for (const customer of customers) {
      const branch = branches.get(customer.ORGANIZATION_ID ?? null);
      expect(branch?.ORGANIZATION_CODE).toBe(customer.ORGANIZATION_CODE);
      expect(branch?.ORG_ID).toBe(customer.ORG_ID);
      expect(terms.get(customer.TERM_ID ?? null)?.DAY_OF_TERMS).toBe(customer.TERM_DAY);
      expect(orderTypes.get(customer.ORDER_TYPE_ID ?? null)?.ORGANIZATION_CODE).toBe(customer.ORGANIZATION_CODE);
      expect(cityNames.has(customer.KAB_KODYA ?? null)).toBe(true);
      expect(provinceNames.has(customer.PROVINSI ?? null)).toBe(true);
    }
    const customerById = new Map(customers.map((row) => [row.CUST_ACCOUNT_ID, row]));

    for (const employee of employees.values()) {
      expect(branches.get(employee.ORGANIZATION_ID ?? null)?.ORGANIZATION_CODE).toBe(employee.ORGANIZATION_CODE);
      if (employee.SUPERVISOR_NUMBER !== null) {
        expect(employees.get(employee.SUPERVISOR_NUMBER ?? null)?.ORGANIZATION_CODE).toBe(employee.ORGANIZATION_CODE);
      }
      if (employee.FLAG_SALESMAN === 'Y') {
        const locator = locators.get(employee.LOCATOR_ID ?? null);
        expect(locator?.ORGANIZATION_CODE).toBe(employee.ORGANIZATION_CODE);
        expect(locator?.SUBINVENTORY_CODE).toBe('CANVAS');
      }
    }
    expect([...employees.values()].filter((row) => row.FLAG_SALESMAN === 'Y')).toHaveLength(salesmen.size);
    for (const salesman of salesmen.values()) expect(branchByCode.has(salesman.ORGANIZATION_CODE ?? null)).toBe(true);
    for (const locator of locators.values()) expect(branches.get(locator.ORGANIZATION_ID ?? null)?.ORGANIZATION_CODE).toBe(locator.ORGANIZATION_CODE);
    for (const item of await readAll(source, 'sales-item')) expect(branchByCode.has(item.ORGANIZATION_CODE ?? null)).toBe(true);

    let customerSpecific = 0;
    for (const line of await readAll(source, 'price-list')) {
      expect(itemCodes.has(line.ITEM_CODE ?? null)).toBe(true);
      if (line.CUST_ACCOUNT_ID !== null) {
        customerSpecific += 1;
        const buyer = customerById.get(line.CUST_ACCOUNT_ID ?? null);
        expect(buyer?.CUSTOMER_NUMBER).toBe(line.CUSTOMER_NUMBER);
        expect(buyer?.PRICE_LIST_ID).toBe(line.PRICE_LIST_ID);
      }
    }
    expect(customerSpecific).toBeGreaterThan(0);
    for (const invoice of await readAll(source, 'ar-outstanding')) {
      expect(customerById.get(invoice.CUST_ACCOUNT_ID ?? null)?.CUSTOMER_NUMBER).toBe(invoice.CUSTOMER_NUMBER);
      expect(salesmen.get(invoice.SALESREP_NUMBER ?? null)?.ORGANIZATION_CODE).toBe(invoice.ORGANIZATION_CODE);
      expect(Number(invoice.DUE_REMAINING)).toBeLessThanOrEqual(Number(invoice.AMOUNT));
    }
    for (const stock of await readAll(source, 'inv-on-hand-qty')) {
      expect(branchByCode.has(stock.ORGANIZATION_CODE ?? null)).toBe(true);
      expect(itemCodes.has(stock.ITEM_CODE ?? null)).toBe(true);
    }
  });

  it('returns only rows updated at or after `since`', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const source = createFixtureSource({ now });
    const since = new Date(now.getTime() - 30 * 86_400_000);
    const all = await readAll(source, 'customer');
    const recent = await readAll(source, 'customer', since);
    const expected = all.filter((row) => (row.LAST_UPDATE_DATE as Date).getTime() >= since.getTime());
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(all.length);
    expect(recent).toEqual(expected);
    for (const row of all) expect((row.LAST_UPDATE_DATE as Date).getTime()).toBeLessThan(now.getTime());
    // An entity without an updated-at column cannot filter: a since read returns everything.
    expect(await readAll(source, 'branch', since)).toHaveLength(source.count('branch'));
  });

  it('makes updates, inserts and deletes visible to read, getByKey and count', async () => {
    const source = createFixtureSource();
    const customer = requireEntity('customer');
    const before = source.count('customer');
    const original = await source.getByKey(customer, ['100005']);
    expect(original?.CUST_ACCOUNT_ID).toBe(100_005);

    const at = new Date('2026-01-02T03:04:05Z');
    const updated = source.update('customer', ['100005'], { CUSTOMER_NAME: 'Toko Baru Sejahtera', STATUS: 'I' }, at);
    expect(updated.LAST_UPDATE_DATE).toEqual(at);
    expect(await source.getByKey(customer, ['100005'])).toMatchObject({ CUSTOMER_NAME: 'Toko Baru Sejahtera', STATUS: 'I', ADDRESS1: original?.ADDRESS1 });
    const changed = await readAll(source, 'customer', new Date('2026-01-02T00:00:00Z'));
    expect(changed.map((row) => row.CUST_ACCOUNT_ID)).toEqual([100_005]);

    // A new key between generated keys appears in key order; one after the last appears at the end.
    source.insert('customer', { ...original, CUST_ACCOUNT_ID: 100_005.5, CUSTOMER_NUMBER: 'JAT-NEW-1', LAST_UPDATE_DATE: at });
    source.insert('customer', { ...original, CUST_ACCOUNT_ID: 99_999_999, CUSTOMER_NUMBER: 'JAT-NEW-2', LAST_UPDATE_DATE: at });
    expect(source.delete('customer', [100_007])).toBe(true);
    expect(source.delete('customer', [100_007])).toBe(false);
    expect(source.count('customer')).toBe(before + 1);

    const rows = await readAll(source, 'customer');
    const ids = rows.map((row) => row.CUST_ACCOUNT_ID as number);
    expect(ids.slice(0, 8)).toEqual([100_001, 100_002, 100_003, 100_004, 100_005, 100_005.5, 100_006, 100_008]);
    expect(ids.at(-1)).toBe(99_999_999);
    expect(rows).toHaveLength(before + 1);
    expect(await source.getByKey(customer, ['100007'])).toBeUndefined();
    expect((await source.getByKey(customer, ['99999999']))?.CUSTOMER_NUMBER).toBe('JAT-NEW-2');

    // A deleted key can come back.
    source.insert('customer', { ...original, CUST_ACCOUNT_ID: 100_007 });
    expect((await source.getByKey(customer, ['100007']))?.CUSTOMER_NAME).toBe(original?.CUSTOMER_NAME);
    expect(source.delete('customer', ['99999999'])).toBe(true);
    expect(source.count('customer')).toBe(before + 1);

    expectDomainError(() => source.insert('customer', { ...original }), 'ALREADY_EXISTS', 'RECORD_EXISTS');
    expectDomainError(() => source.update('customer', ['100005'], { CUST_ACCOUNT_ID: 1 }, at), 'INVALID_ARGUMENT', 'KEY_COLUMN_READ_ONLY');
    expectDomainError(() => source.update('customer', ['1'], { STATUS: 'A' }, at), 'NOT_FOUND', 'RECORD_NOT_FOUND');
    expectDomainError(() => source.insert('customer', { CUSTOMER_NAME: 'no key' }), 'INVALID_ARGUMENT', 'INVALID_RECORD_KEY');
    expectDomainError(() => source.update('no-such-entity', ['1'], {}, at), 'INVALID_ARGUMENT', 'UNKNOWN_ENTITY');
  });

  it('looks rows up by text key, composite keys included', async () => {
    const source = createFixtureSource();
    const first = (await readAll(source, 'price-list'))[123] as SourceRow;
    const key = [String(first.PRICE_LIST_ID), String(first.PRICE_LIST_LINE_ID)];
    expect(await source.getByKey(requireEntity('price-list'), key)).toEqual(first);
    const warehouse = (await readAll(source, 'warehouse'))[17] as SourceRow;
    const warehouseKey = ['ORGANIZATION_ID', 'SUBINVENTORY_CODE', 'LOCATOR_ID'].map((column) => String(warehouse[column]));
    expect(await source.getByKey(requireEntity('warehouse'), warehouseKey)).toEqual(warehouse);
    expect(await source.getByKey(requireEntity('customer'), ['not-a-number'])).toBeUndefined();
    expect(await source.getByKey(requireEntity('customer'), ['1'])).toBeUndefined();
    await expect(source.getByKey(requireEntity('price-list'), ['6001'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_RECORD_KEY' });
  });

  it('rejects bad options and honours an abort signal', async () => {
    expectDomainError(() => createFixtureSource({ scale: { branch: 5 } }), 'INVALID_ARGUMENT', 'INVALID_FIXTURE_SCALE');
    expectDomainError(() => createFixtureSource({ scale: { customer: -1 } }), 'INVALID_ARGUMENT', 'INVALID_FIXTURE_SCALE');
    expectDomainError(() => createFixtureSource({ scale: { customer: 1.5 } }), 'INVALID_ARGUMENT', 'INVALID_FIXTURE_SCALE');
    const source = createFixtureSource();
    const customer = requireEntity('customer');
    await expect(async () => {
      for await (const _batch of source.read(customer, { batchSize: 0 })) break;
    }).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_BATCH_SIZE' });
    const controller = new AbortController();
    let batches = 0;
    await expect(async () => {
      for await (const _batch of source.read(customer, { batchSize: 100, signal: controller.signal })) {
        batches += 1;
        controller.abort(new Error('stop'));
      }
    }).rejects.toThrow('stop');
    expect(batches).toBe(1);
  });

  it('streams 200,000 customers with small heap growth', async () => {
    // A collection before each sample, so the samples measure what the stream keeps, not garbage.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const source = createFixtureSource({ scale: { customer: 200_000 } });
    collect();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let count = 0;
    let last = 0;
    for await (const batch of source.read(requireEntity('customer'), { batchSize: 1000 })) {
      count += batch.length;
      last = batch.at(-1)?.CUST_ACCOUNT_ID as number;
      if (count % 20_000 === 0) {
        collect();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    expect(count).toBe(200_000);
    expect(last).toBe(300_000);
    // Holding the rows would take hundreds of MB; streaming keeps about one batch.
    expect(peak - baseline).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
