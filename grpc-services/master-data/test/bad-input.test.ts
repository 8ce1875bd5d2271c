import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { createGrpcClient } from '@core/platform';
import type { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainErrorOf, SMALL_FIXTURE, startTestService, type TestService } from './helpers.js';

let t: TestService;
let mirroredRows = 0;
/** A plain signed-in user's token, for the hand-made clients below. */
let signedIn: Metadata;

async function countMirror(): Promise<number> {
  const [row] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM md_record');
  return row!.n;
}

/** Asserts INVALID_ARGUMENT with the given reason and at least one field violation (on `field` when given). */
async function rejects(call: Promise<unknown>, reason: string, field?: string): Promise<void> {
  const error = await domainErrorOf(call);
  expect({ code: error.code, reason: error.reason }).toEqual({ code: 'INVALID_ARGUMENT', reason });
  expect(error.fieldViolations.length).toBeGreaterThan(0);
  if (field) expect(error.fieldViolations.map((v) => v.field)).toContain(field);
}

beforeAll(async () => {
  t = await startTestService({ label: 'bad_input', fixture: SMALL_FIXTURE, redis: null });
  signedIn = (await t.as([])).metadata;
  await t.service.waitForInitialSync();
  mirroredRows = await countMirror();
  expect(mirroredRows).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('unknown entities and malformed keys', () => {
  it('rejects an unknown entity on every generic RPC', async () => {
    await rejects(t.masterData.listRecords({ entity: 'no-such-entity' }), 'UNKNOWN_ENTITY', 'entity');
    await rejects(t.masterData.getRecord({ entity: "customer'; --", key: ['1'] }), 'UNKNOWN_ENTITY', 'entity');
    await rejects(t.masterData.batchGetRecords({ entity: '', keys: [] }), 'UNKNOWN_ENTITY', 'entity');
  });

  it('rejects keys of the wrong arity, type or size', async () => {
    await rejects(t.masterData.getRecord({ entity: 'customer', key: [] }), 'KEY_ARITY_MISMATCH', 'key');
    await rejects(t.masterData.getRecord({ entity: 'price-list', key: ['1'] }), 'KEY_ARITY_MISMATCH', 'key');
    await rejects(t.masterData.getRecord({ entity: 'customer', key: ['abc'] }), 'INVALID_KEY', 'key[0]');
    await rejects(t.masterData.getRecord({ entity: 'region', key: ['x'.repeat(10_000)] }), 'INVALID_KEY', 'key[0]');
    await rejects(t.masterData.getRecord({ entity: 'region', key: ['A\u0000B'] }), 'INVALID_KEY', 'key[0]');
    await rejects(t.masterData.getRegion({ code: '' }), 'INVALID_KEY', 'key[0]');
    await rejects(t.masterData.getWarehouse({}), 'KEY_REQUIRED', 'key');
  });

  it('needs exactly one of id and code for customers and branches', async () => {
    await rejects(t.masterData.getCustomer({}), 'EXACTLY_ONE_LOOKUP', 'id');
    await rejects(t.masterData.getCustomer({ id: 1, number: 'C1' }), 'EXACTLY_ONE_LOOKUP', 'number');
    await rejects(t.masterData.getBranch({}), 'EXACTLY_ONE_LOOKUP', 'code');
  });

  it('rejects batches of more than 1000 keys', async () => {
    const keys = Array.from({ length: 1001 }, (_, i) => ({ values: [String(i)] }));
    await rejects(t.masterData.batchGetRecords({ entity: 'region', keys }), 'TOO_MANY_KEYS', 'keys');
    await rejects(
      t.masterData.batchGetCustomers({ ids: Array.from({ length: 600 }, (_, i) => i + 1), numbers: Array(401).fill('X') }),
      'TOO_MANY_KEYS',
    );
  });

  it('answers a batch of exactly 1000 missing keys with nothing', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => ({ values: [`NO-REGION-${i}`] }));
    expect((await t.masterData.batchGetRecords({ entity: 'region', keys })).records).toEqual([]);
  });
});

describe('paging', () => {
  it('rejects page sizes outside 0..1000', async () => {
    await rejects(t.masterData.listRecords({ entity: 'customer', pageSize: 1001 }), 'PAGE_SIZE_OUT_OF_RANGE', 'page_size');
    await rejects(t.masterData.listRecords({ entity: 'customer', pageSize: -1 }), 'PAGE_SIZE_OUT_OF_RANGE', 'page_size');
    await rejects(t.masterData.listCustomers({ pageSize: 5000 }), 'PAGE_SIZE_OUT_OF_RANGE', 'page_size');
    expect((await t.masterData.listRecords({ entity: 'customer', pageSize: 1000 })).records).toHaveLength(420);
  });

  it('rejects garbage, tampered and foreign page tokens', async () => {
    const first = await t.masterData.listRecords({ entity: 'customer', pageSize: 10, query: 'a' });
    const token = first.nextPageToken;
    expect(token).not.toBe('');
    const [body, tag] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ e: 'customer', f: 'x', k: '0' })).toString('base64url');

    for (const bad of ['garbage', 'a.b.c', `${body}.${tag.slice(0, -2)}AA`, `${forged}.${tag}`, `${body.slice(1)}.${tag}`]) {
      await rejects(t.masterData.listRecords({ entity: 'customer', pageSize: 10, query: 'a', pageToken: bad }), 'INVALID_PAGE_TOKEN', 'page_token');
    }
    // A real token only continues the query that issued it.
    await rejects(t.masterData.listRecords({ entity: 'region', pageSize: 10, query: 'a', pageToken: token }), 'INVALID_PAGE_TOKEN');
    await rejects(t.masterData.listRecords({ entity: 'customer', pageSize: 10, query: 'b', pageToken: token }), 'INVALID_PAGE_TOKEN');
    await rejects(
      t.masterData.listRecords({ entity: 'customer', pageSize: 10, query: 'a', filters: { STATUS: 'A' }, pageToken: token }),
      'INVALID_PAGE_TOKEN',
    );
    await rejects(
      t.masterData.listRecords({ entity: 'customer', pageSize: 10, query: 'a', updatedSince: new Date('2020-01-01'), pageToken: token }),
      'INVALID_PAGE_TOKEN',
    );
    // The page size may change between pages.
    const second = await t.masterData.listRecords({ entity: 'customer', pageSize: 20, query: 'a', pageToken: token });
    expect(second.records.length).toBeGreaterThan(0);
  });
});

describe('search text', () => {
  it('matches LIKE wildcards, quotes and SQL literally', async () => {
    for (const query of ['%', '_', '%%%', '\\', "O'Brien", '"', "'; DROP TABLE md_record; --", 'a%b_c\\d']) {
      const page = await t.masterData.listRecords({ entity: 'customer', pageSize: 1000, query });
      expect(page.records, `query ${query}`).toEqual([]);
    }
    expect(await countMirror()).toBe(mirroredRows);
  });

  it('accepts non-Latin text, which simply matches nothing here', async () => {
    const page = await t.masterData.listCustomers({ query: 'Jakarta 雅加达 جاكرتا' });
    expect(page.customers).toEqual([]);
  });

  it('treats blank search as no search', async () => {
    const page = await t.masterData.listRecords({ entity: 'region', pageSize: 1000, query: '   ' });
    const all = await t.masterData.listRecords({ entity: 'region', pageSize: 1000 });
    expect(page.records.length).toBe(all.records.length);
  });

  it('rejects text longer than 200 characters and NUL characters', async () => {
    expect((await t.masterData.listRecords({ entity: 'customer', query: 'z'.repeat(200) })).records).toEqual([]);
    await rejects(t.masterData.listRecords({ entity: 'customer', query: 'z'.repeat(201) }), 'QUERY_TOO_LONG', 'query');
    await rejects(t.masterData.listCustomers({ query: 'x'.repeat(10 * 1024) }), 'QUERY_TOO_LONG', 'query');
    await rejects(t.masterData.listCustomers({ query: 'to\u0000ko' }), 'INVALID_QUERY', 'query');
  });
});

describe('updated_since and filters', () => {
  it('rejects updated_since in the future or on entities without an updated-at column', async () => {
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    await rejects(t.masterData.listCustomers({ updatedSince: tomorrow }), 'UPDATED_SINCE_IN_FUTURE', 'updated_since');
    await rejects(t.masterData.listBranches({ updatedSince: new Date('2020-01-01') }), 'UPDATED_SINCE_NOT_SUPPORTED', 'updated_since');
    // A little clock skew is tolerated.
    const soon = new Date(Date.now() + 60_000);
    expect((await t.masterData.listCustomers({ updatedSince: soon })).customers).toEqual([]);
  });

  it('rejects an updated_since that is no valid instant', async () => {
    // Hand-encoded ListRecordsRequest: entity "customer", updated_since.seconds = 9e15 (beyond any Date).
    const writer = new BinaryWriter();
    writer.uint32(10).string('customer');
    writer.uint32(34).fork().uint32(8).int64(9_000_000_000_000_000).join();
    const raw = createGrpcClient(
      {
        listRecords: {
          path: '/core.masterdata.v1.MasterDataService/ListRecords',
          requestStream: false,
          responseStream: false,
          requestSerialize: (bytes: Uint8Array) => bytes,
          requestDeserialize: (bytes: Uint8Array) => bytes,
          responseSerialize: (bytes: Uint8Array) => bytes,
          responseDeserialize: (bytes: Uint8Array) => bytes,
          options: {},
        },
      } as const,
      t.service.address,
      { retries: 0, metadata: () => signedIn },
    );
    try {
      await rejects(raw.client.listRecords(writer.finish()), 'INVALID_UPDATED_SINCE', 'updated_since');
    } finally {
      raw.close();
    }
  });

  it('rejects an int64 id beyond what the service can represent exactly, as INVALID_ARGUMENT', async () => {
    // Hand-encoded GetCustomerRequest with id = 2^60: above Number.MAX_SAFE_INTEGER, so decoding fails.
    const writer = new BinaryWriter();
    writer.uint32(8).int64(2n ** 60n);
    const raw = createGrpcClient(
      {
        getCustomer: {
          path: '/core.masterdata.v1.MasterDataService/GetCustomer',
          requestStream: false,
          responseStream: false,
          requestSerialize: (bytes: Uint8Array) => bytes,
          requestDeserialize: (bytes: Uint8Array) => bytes,
          responseSerialize: (bytes: Uint8Array) => bytes,
          responseDeserialize: (bytes: Uint8Array) => bytes,
          options: {},
        },
      } as const,
      t.service.address,
      { retries: 0, metadata: () => signedIn },
    );
    try {
      const error = await domainErrorOf(raw.client.getCustomer(writer.finish()));
      expect({ code: error.code, reason: error.reason }).toEqual({ code: 'INVALID_ARGUMENT', reason: 'MALFORMED_REQUEST' });
    } finally {
      raw.close();
    }
  });

  it('rejects filters on columns that are not filterable, and empty filter values', async () => {
    await rejects(
      t.masterData.listRecords({ entity: 'customer', filters: { CUSTOMER_NAME: 'x' } }),
      'INVALID_FILTER',
      'filters[CUSTOMER_NAME]',
    );
    await rejects(
      t.masterData.listRecords({ entity: 'customer', filters: { "data->>'x'": 'x' } }),
      'INVALID_FILTER',
    );
    await rejects(t.masterData.listRecords({ entity: 'customer', filters: { STATUS: '' } }), 'INVALID_FILTER', 'filters[STATUS]');
    await rejects(t.masterData.listRecords({ entity: 'customer', filters: { ORGANIZATION_ID: 'abc' } }), 'INVALID_FILTER');
    expect((await t.masterData.listRecords({ entity: 'customer', filters: { STATUS: "'; DROP TABLE md_record; --" } })).records).toEqual(
      [],
    );
  });
});

it('still answers normally after all of the above', async () => {
  const { regions } = await t.masterData.listRegions({ pageSize: 1 });
  expect((await t.masterData.getRegion({ code: regions[0]!.code })).region).toEqual(regions[0]);
  expect(await countMirror()).toBe(mirroredRows);
});
