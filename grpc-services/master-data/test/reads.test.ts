import { createRedis, createRedisCache, createTieredCache, redisReady, Redis, type TieredCache } from '@core/platform';
import { redisUrl, testLogger } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordStore } from '../src/data/record-store.js';
import type { SourceRow } from '../src/data/source.js';
import { catalogue, requireEntity } from '../src/domain/catalogue.js';
import { allPages, domainErrorOf, SMALL_FIXTURE, startTestService, type TestService } from './helpers.js';

let t: TestService;
let redis: Redis;
const customers: SourceRow[] = [];

async function sourceRows(entityName: string): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const batch of t.source.read(requireEntity(entityName), { batchSize: 500 })) rows.push(...batch);
  return rows;
}

async function cacheKeys(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${t.cachePrefix}${pattern}`, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

const idsOf = (rows: readonly SourceRow[]) => rows.map((row) => Number(row.CUST_ACCOUNT_ID)).sort((a, b) => a - b);
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

beforeAll(async () => {
  t = await startTestService({ label: 'reads', fixture: SMALL_FIXTURE });
  redis = new Redis(redisUrl());
  const report = await t.service.waitForInitialSync();
  const failures = await t.sql<{ entity: string; error: string }>("SELECT entity, error FROM md_sync_run WHERE status = 'failed'");
  expect({ failed: report.entitiesFailed, skipped: report.entitiesSkipped, failures }).toEqual({ failed: [], skipped: [], failures: [] });
  expect(report.entitiesSynced).toBe(catalogue.length);
  customers.push(...(await sourceRows('customer')));
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await t?.stop();
});

describe('typed reads', () => {
  it('gets a customer by id and by number, with money in whole rupiah and names as in Oracle', async () => {
    const row = customers[7]!;
    const { customer } = await t.masterData.getCustomer({ id: Number(row.CUST_ACCOUNT_ID) });
    expect(customer).toMatchObject({
      id: Number(row.CUST_ACCOUNT_ID),
      number: row.CUSTOMER_NUMBER,
      name: row.CUSTOMER_NAME,
      branchCode: row.ORGANIZATION_CODE,
    });
    if (row.OVERALL_CREDIT_LIMIT !== null) {
      expect(customer?.creditLimit?.rupiah).toBe(Math.round(Number(row.OVERALL_CREDIT_LIMIT)));
    }
    const byNumber = await t.masterData.getCustomer({ number: String(row.CUSTOMER_NUMBER) });
    expect(byNumber.customer).toEqual(customer);
  });

  it('serves every typed entity: the first listed item is what Get returns for its key', async () => {
    const region = (await t.masterData.listRegions({ pageSize: 1 })).regions[0]!;
    expect((await t.masterData.getRegion({ code: region.code })).region).toEqual(region);

    const branch = (await t.masterData.listBranches({ pageSize: 1 })).branches[0]!;
    expect((await t.masterData.getBranch({ id: branch.id })).branch).toEqual(branch);
    expect((await t.masterData.getBranch({ code: branch.code })).branch).toEqual(branch);
    expect(branch.startDate?.year).toBeGreaterThan(1990);

    const employee = (await t.masterData.listEmployees({ pageSize: 1 })).employees[0]!;
    expect((await t.masterData.getEmployee({ number: employee.number })).employee).toEqual(employee);

    const warehouse = (await t.masterData.listWarehouses({ pageSize: 1 })).warehouses[0]!;
    const warehouseKey = {
      organizationId: warehouse.organizationId,
      subinventoryCode: warehouse.subinventoryCode,
      locatorId: warehouse.locatorId,
    };
    expect((await t.masterData.getWarehouse({ key: warehouseKey })).warehouse).toEqual(warehouse);

    const item = (await t.masterData.listSalesItems({ pageSize: 1 })).salesItems[0]!;
    const itemKey = { itemId: item.itemId, organizationId: item.organizationId };
    expect((await t.masterData.getSalesItem({ key: itemKey })).salesItem).toEqual(item);

    const salesman = (await t.masterData.listSalesmen({ pageSize: 1 })).salesmen[0]!;
    expect((await t.masterData.getSalesman({ number: salesman.number })).salesman).toEqual(salesman);

    const province = (await t.masterData.listProvinces({ pageSize: 1 })).provinces[0]!;
    expect((await t.masterData.getProvince({ code: province.code })).province).toEqual(province);

    const city = (await t.masterData.listCities({ pageSize: 1, provinceCode: province.code })).cities[0]!;
    expect(city.provinceCode).toBe(province.code);
    expect((await t.masterData.getCity({ code: city.code })).city).toEqual(city);

    const district = (await t.masterData.listDistricts({ pageSize: 1, cityCode: city.code })).districts[0]!;
    expect((await t.masterData.getDistrict({ code: district.code })).district).toEqual(district);

    const subDistrict = (await t.masterData.listSubDistricts({ pageSize: 1, districtCode: district.code })).subDistricts[0]!;
    expect((await t.masterData.getSubDistrict({ code: subDistrict.code })).subDistrict).toEqual(subDistrict);

    const line = (await t.masterData.listPriceListLines({ pageSize: 1 })).priceListLines[0]!;
    const lineKey = { priceListId: line.priceListId, lineId: line.lineId };
    expect((await t.masterData.getPriceListLine({ key: lineKey })).priceListLine).toEqual(line);
    expect(Number.isInteger(line.listPrice?.rupiah)).toBe(true);
  });

  it('pages through every customer exactly once', async () => {
    const { items, pages } = await allPages(async (pageToken) => {
      const page = await t.masterData.listCustomers({ pageSize: 37, pageToken });
      return { items: page.customers, nextPageToken: page.nextPageToken };
    });
    expect(pages).toBe(Math.ceil(customers.length / 37));
    expect(sorted(items.map((c) => c.id))).toEqual(idsOf(customers));
  });

  it('filters typed lists by their filter fields', async () => {
    const branchCode = String(customers[0]!.ORGANIZATION_CODE);
    const { items } = await allPages(async (pageToken) => {
      const page = await t.masterData.listCustomers({ pageSize: 50, pageToken, branchCode });
      return { items: page.customers, nextPageToken: page.nextPageToken };
    });
    const expected = customers.filter((row) => row.ORGANIZATION_CODE === branchCode);
    expect(expected.length).toBeGreaterThan(0);
    expect(sorted(items.map((c) => c.id))).toEqual(idsOf(expected));

    const salesmen = await t.masterData.listEmployees({ pageSize: 1000, salesmenOnly: true });
    const employees = await sourceRows('employee');
    expect(salesmen.employees.length).toBe(employees.filter((row) => row.FLAG_SALESMAN === 'Y').length);
    expect(salesmen.employees.every((e) => e.salesman)).toBe(true);
  });

  it('batch gets by ids and numbers, omitting keys that do not exist', async () => {
    const [a, b, c] = customers;
    const { customers: found } = await t.masterData.batchGetCustomers({
      ids: [Number(a!.CUST_ACCOUNT_ID), Number(b!.CUST_ACCOUNT_ID), 987_654_321],
      numbers: [String(c!.CUSTOMER_NUMBER), String(a!.CUSTOMER_NUMBER), 'NO-SUCH-NUMBER'],
    });
    expect(sorted(found.map((x) => x.id))).toEqual(idsOf([a!, b!, c!]));
  });
});

describe('generic records', () => {
  it('lists the catalogue with freshness', async () => {
    const { entities } = await t.masterData.listEntities({});
    expect(entities.map((e) => e.name)).toEqual(catalogue.map((e) => e.name).sort((x, y) => x.localeCompare(y)));
    const customer = entities.find((e) => e.name === 'customer')!;
    expect(customer.state?.rowCount).toBe(customers.length);
    expect(customer.columns.find((c) => c.name === 'CUST_ACCOUNT_ID')?.key).toBe(true);
  });

  it('gets, batch gets and pages a composite-key entity', async () => {
    const lines = await sourceRows('price-list');
    const first = lines[0]!;
    const key = [String(first.PRICE_LIST_ID), String(first.PRICE_LIST_LINE_ID)];
    const { record } = await t.masterData.getRecord({ entity: 'price-list', key });
    expect(record?.key).toEqual(key);
    expect(record?.fields?.ITEM_CODE).toBe(first.ITEM_CODE);
    expect(record?.syncTime).toBeInstanceOf(Date);

    const batch = await t.masterData.batchGetRecords({
      entity: 'price-list',
      keys: [{ values: key }, { values: ['0', '0'] }, { values: key }],
    });
    expect(batch.records.map((r) => r.key)).toEqual([key]);

    const { items } = await allPages(async (pageToken) => {
      const page = await t.masterData.listRecords({ entity: 'price-list', pageSize: 101, pageToken });
      return { items: page.records, nextPageToken: page.nextPageToken };
    });
    const listed = items.map((r) => r.key.join('/'));
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.length).toBe(lines.length);
  });

  it('lists rows changed since a time, in updated-at order, across pages', async () => {
    const times = customers.map((row) => (row.LAST_UPDATE_DATE as Date).getTime()).sort((a, b) => a - b);
    const since = new Date(times[Math.floor(times.length / 2)]!);
    const { items } = await allPages(async (pageToken) => {
      const page = await t.masterData.listRecords({ entity: 'customer', pageSize: 23, pageToken, updatedSince: since });
      return { items: page.records, nextPageToken: page.nextPageToken };
    });
    const expected = customers.filter((row) => (row.LAST_UPDATE_DATE as Date).getTime() >= since.getTime());
    expect(sorted(items.map((r) => Number(r.key[0])))).toEqual(idsOf(expected));
    const updateTimes = items.map((r) => r.updateTime!.getTime());
    expect(updateTimes).toEqual([...updateTimes].sort((a, b) => a - b));
    expect(updateTimes[0]).toBeGreaterThanOrEqual(since.getTime());
  });

  it('searches names and codes case-insensitively', async () => {
    const word = String(customers[3]!.CUSTOMER_NAME).split(' ').at(-1)!.toLowerCase();
    const { items } = await allPages(async (pageToken) => {
      const page = await t.masterData.listCustomers({ pageSize: 100, pageToken, query: `  ${word} ` });
      return { items: page.customers, nextPageToken: page.nextPageToken };
    });
    const expected = customers.filter((row) =>
      `${row.CUSTOMER_NAME} ${row.CUSTOMER_NUMBER}`.toUpperCase().includes(word.toUpperCase()),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(sorted(items.map((c) => c.id))).toEqual(idsOf(expected));
  });

  it('applies equality filters on filterable columns together with search', async () => {
    const { CHANNEL: channel, STATUS: status } = customers[5]!;
    const page = await t.masterData.listRecords({
      entity: 'customer',
      pageSize: 1000,
      filters: { CHANNEL: String(channel), STATUS: String(status) },
    });
    const expected = customers.filter((row) => row.CHANNEL === channel && row.STATUS === status);
    expect(sorted(page.records.map((r) => Number(r.key[0])))).toEqual(idsOf(expected));
    expect(page.nextPageToken).toBe('');
  });
});

describe('mirror misses and the hot cache', () => {
  it('reads a row created in the source after the last sync through to the source once', async () => {
    const template = customers[0]!;
    const id = 990_000_001;
    t.source.insert('customer', { ...template, CUST_ACCOUNT_ID: id, CUSTOMER_NUMBER: 'LATE-0001', CUSTOMER_NAME: 'Toko Baru Sekali' });
    const before = await t.sql(`SELECT count(*)::int AS n FROM md_record WHERE entity = 'customer' AND record_key = ?`, [String(id)]);
    expect(before[0]).toEqual({ n: 0 });

    const { customer } = await t.masterData.getCustomer({ id });
    expect(customer).toMatchObject({ id, number: 'LATE-0001', name: 'Toko Baru Sekali' });

    const mirrored = await t.sql<{ search_text: string }>(
      `SELECT search_text FROM md_record WHERE entity = 'customer' AND record_key = ?`,
      [String(id)],
    );
    expect(mirrored).toEqual([{ search_text: 'TOKO BARU SEKALI LATE-0001' }]);
    const search = await t.masterData.listCustomers({ query: 'baru sekali' });
    expect(search.customers.map((c) => c.id)).toEqual([id]);
  });

  it('remembers absent keys for a short while, until the key is invalidated', async () => {
    const id = 990_000_002;
    expect((await domainErrorOf(t.masterData.getCustomer({ id }))).code).toBe('NOT_FOUND');
    const negative = await cacheKeys(`md:customer:g*:${id}`);
    expect(negative).toHaveLength(1);
    expect(await redis.get(negative[0]!)).toBe('-');

    t.source.insert('customer', { ...customers[1]!, CUST_ACCOUNT_ID: id, CUSTOMER_NUMBER: 'LATE-0002' });
    // Still remembered as absent: a burst of lookups for a missing key does not reach Oracle.
    expect((await domainErrorOf(t.masterData.getCustomer({ id }))).code).toBe('NOT_FOUND');

    await t.service.store.invalidate(requireEntity('customer'), [String(id)]);
    expect((await t.masterData.getCustomer({ id })).customer?.number).toBe('LATE-0002');
  });

  it('serves repeated reads from the cache and drops entries on invalidation', async () => {
    const region = (await t.masterData.listRegions({ pageSize: 1 })).regions[0]!;
    await t.masterData.getRegion({ code: region.code });
    expect(await cacheKeys(`md:region:g*:${region.code}`)).toHaveLength(1);

    await t.sql(`UPDATE md_record SET data = jsonb_set(data, '{REGION_NAME}', '"RENAMED IN MIRROR"') WHERE entity = 'region' AND record_key = ?`, [
      region.code,
    ]);
    expect((await t.masterData.getRegion({ code: region.code })).region?.name).toBe(region.name);

    await t.service.store.invalidateAll(requireEntity('region'));
    expect((await t.masterData.getRegion({ code: region.code })).region?.name).toBe('RENAMED IN MIRROR');
    // The new generation holds the fresh entry; the old one just expires.
    expect(await cacheKeys(`md:region:g*:${region.code}`)).toHaveLength(2);
  });
});

describe('a refill racing a sync', () => {
  it('evicts again after an invalidation, so a stale row written back by an in-flight read does not outlive it', async () => {
    const region = (await t.masterData.listRegions({ pageSize: 3 })).regions[2]!;
    await t.masterData.getRegion({ code: region.code });
    const [key] = await cacheKeys(`md:region:g*:${region.code}`);
    const staleEntry = await redis.get(key!);
    expect(staleEntry).toContain(region.name);

    // The sync commits a new name and evicts; a read that fetched the old row before the commit
    // then writes it back.
    await t.sql(`UPDATE md_record SET data = jsonb_set(data, '{REGION_NAME}', '"RENAMED BY SYNC"') WHERE entity = 'region' AND record_key = ?`, [
      region.code,
    ]);
    await t.service.store.invalidate(requireEntity('region'), [region.code]);
    await redis.set(key!, staleEntry!);
    expect((await t.masterData.getRegion({ code: region.code })).region?.name).toBe(region.name);

    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await t.masterData.getRegion({ code: region.code })).region?.name).toBe('RENAMED BY SYNC');
  });
});

describe('customers by number through the cache', () => {
  const customer = requireEntity('customer');
  const sync = () => t.service.sync.run(customer, { mode: 'full', trigger: 'manual', triggeredBy: 'reads test' });

  it('caches which customer a number names, so a repeated lookup by number is a cache hit', async () => {
    const row = customers[11]!;
    const number = String(row.CUSTOMER_NUMBER);
    const { customer: first } = await t.masterData.getCustomer({ number });
    expect(first?.id).toBe(Number(row.CUST_ACCOUNT_ID));
    const codeKeys = await cacheKeys(`md:customer:g*:c*:CUSTOMER_NUMBER=${number}`);
    expect(codeKeys).toHaveLength(1);
    expect(JSON.parse((await redis.get(codeKeys[0]!))!)).toEqual([String(row.CUST_ACCOUNT_ID)]);

    // Served from the cache: a mirror change that no sync reported is not seen…
    await t.sql(`UPDATE md_record SET data = jsonb_set(data, '{CUSTOMER_NAME}', '"CHANGED IN MIRROR"') WHERE entity = 'customer' AND record_key = ?`, [
      String(row.CUST_ACCOUNT_ID),
    ]);
    expect((await t.masterData.getCustomer({ number })).customer?.name).toBe(first?.name);
    // …until the record is invalidated, which drops the record and every cached number lookup.
    await t.service.store.invalidate(customer, [String(row.CUST_ACCOUNT_ID)]);
    expect((await t.masterData.getCustomer({ number })).customer?.name).toBe('CHANGED IN MIRROR');
  });

  it('a number cached as absent is found after the sync that brings its customer', async () => {
    const number = 'LATE-0100';
    expect((await domainErrorOf(t.masterData.getCustomer({ number }))).code).toBe('NOT_FOUND');
    expect(await cacheKeys(`md:customer:g*:c*:CUSTOMER_NUMBER=${number}`)).toHaveLength(1);

    const id = 990_000_100;
    t.source.insert('customer', { ...customers[2]!, CUST_ACCOUNT_ID: id, CUSTOMER_NUMBER: number });
    expect((await domainErrorOf(t.masterData.getCustomer({ number }))).code).toBe('NOT_FOUND');
    expect((await sync()).status).toBe('succeeded');
    expect((await t.masterData.getCustomer({ number })).customer?.id).toBe(id);
  });

  it('a renumbered customer is found by its new number and no longer by its old one after a sync', async () => {
    const row = customers[13]!;
    const oldNumber = String(row.CUSTOMER_NUMBER);
    const id = Number(row.CUST_ACCOUNT_ID);
    expect((await t.masterData.getCustomer({ number: oldNumber })).customer?.id).toBe(id);
    expect((await domainErrorOf(t.masterData.getCustomer({ number: 'RENUM-0013' }))).code).toBe('NOT_FOUND');

    t.source.update('customer', [id], { CUSTOMER_NUMBER: 'RENUM-0013' }, new Date());
    expect((await sync()).status).toBe('succeeded');
    expect((await t.masterData.getCustomer({ number: 'RENUM-0013' })).customer?.id).toBe(id);
    expect((await domainErrorOf(t.masterData.getCustomer({ number: oldNumber }))).code).toBe('NOT_FOUND');
    const batch = await t.masterData.batchGetCustomers({ numbers: [oldNumber, 'RENUM-0013', String(customers[14]!.CUSTOMER_NUMBER)] });
    expect(sorted(batch.customers.map((c) => c.id))).toEqual(sorted([id, Number(customers[14]!.CUST_ACCOUNT_ID)]));
  });
});

describe('a second replica on the same Redis', () => {
  let replicaRedis: Redis;
  let replicaCache: TieredCache;

  afterAll(async () => {
    await replicaCache?.close();
    replicaRedis?.disconnect();
  });

  it('drops its in-process copies when the service invalidates a record or bumps the generation', async () => {
    const logger = testLogger('replica');
    replicaRedis = createRedis(redisUrl(), logger);
    expect(await redisReady(replicaRedis)).toBe(true);
    // Built as server.ts builds the service's store: same prefix and eviction channel.
    replicaCache = createTieredCache({
      remote: createRedisCache(replicaRedis, { prefix: t.cachePrefix, logger }),
      local: { maxEntries: 1_000, ttlMs: 60_000 },
      invalidation: { redis: replicaRedis, channel: `${t.cachePrefix}md:evictions` },
      logger,
    });
    expect(await replicaCache.ready()).toBe(true);
    const replica = createRecordStore({ orm: t.service.orm, cache: replicaCache, source: t.source, logger, generationReuseMs: 0 });
    const branch = requireEntity('branch');
    const [first] = (await replica.list(branch, { pageSize: 1, pageToken: '', query: '', filters: {} })).records;
    const key = first!.key;
    const name = (record: { data: Record<string, unknown> } | undefined) => record?.data.ORGANIZATION_NAME;
    const before = name(await replica.get(branch, key));
    expect(before).toBeDefined();

    await t.sql(`UPDATE md_record SET data = jsonb_set(data, '{ORGANIZATION_NAME}', '"RENAMED ONE"') WHERE entity = 'branch' AND record_key = ?`, [
      key.join(','),
    ]);
    // Redis no longer holds the entry at all: only the replica's own copy could answer the old name.
    await redis.del(...(await cacheKeys(`md:branch:g*:${key.join(',')}`)));
    expect(name(await replica.get(branch, key))).toBe(before);

    const invalidated = Date.now();
    await t.service.store.invalidate(branch, [key.join(',')]);
    await expect.poll(async () => name(await replica.get(branch, key)), { timeout: 1_000, interval: 10 }).toBe('RENAMED ONE');
    expect(Date.now() - invalidated).toBeLessThan(500);

    await t.sql(`UPDATE md_record SET data = jsonb_set(data, '{ORGANIZATION_NAME}', '"RENAMED TWO"') WHERE entity = 'branch' AND record_key = ?`, [
      key.join(','),
    ]);
    expect(name(await replica.get(branch, key))).toBe('RENAMED ONE');
    await t.service.store.invalidateAll(branch);
    await expect.poll(async () => name(await replica.get(branch, key)), { timeout: 1_000, interval: 10 }).toBe('RENAMED TWO');
  });
});
