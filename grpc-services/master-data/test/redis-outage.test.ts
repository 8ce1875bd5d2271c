import { Redis } from '@core/platform';
import { redisUrl, startTcpProxy, type TcpProxy } from '@core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SourceRow } from '../src/data/source.js';
import { requireEntity } from '../src/domain/catalogue.js';
import { SMALL_FIXTURE, startTestService, type TestService } from './helpers.js';

let t: TestService;
let proxy: TcpProxy;
let redis: Redis;
const customers: SourceRow[] = [];

const idOf = (row: SourceRow) => Number(row.CUST_ACCOUNT_ID);

async function cachedCustomerKeys(id: number): Promise<string[]> {
  return redis.keys(`${t.cachePrefix}md:customer:g*:${id}`);
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const target = new URL(redisUrl());
  proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  redis = new Redis(redisUrl());
  t = await startTestService({ label: 'redis_outage', fixture: SMALL_FIXTURE, redis: `redis://127.0.0.1:${proxy.port}` });
  await t.service.waitForInitialSync();
  for await (const batch of t.source.read(requireEntity('customer'), { batchSize: 500 })) customers.push(...batch);
  // Every invalidation is followed by a second eviction 2 s later (record-store refillGuardMs); let
  // the ones of the initial sync pass so they cannot evict what this test caches.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
}, 120_000);

afterAll(async () => {
  await t?.stop();
  redis?.disconnect();
  await proxy?.close();
});

it('serves reads from the mirror while Redis is unreachable and uses the cache again once it is back', async () => {
  const [warm, cold, later] = [customers[0]!, customers[1]!, customers[2]!];
  await t.masterData.getCustomer({ id: idOf(warm) });
  const warmKeys = await cachedCustomerKeys(idOf(warm));
  expect(warmKeys).toHaveLength(1);
  const generationOf = (key: string) => key.split(':g')[1]!.split(':')[0];
  const generationBefore = generationOf(warmKeys[0]!);

  proxy.cut();
  const started = Date.now();
  expect((await t.masterData.getCustomer({ id: idOf(warm) })).customer?.number).toBe(warm.CUSTOMER_NUMBER);
  expect((await t.masterData.getCustomer({ id: idOf(cold) })).customer?.number).toBe(cold.CUSTOMER_NUMBER);
  const batch = await t.masterData.batchGetCustomers({ ids: [idOf(warm), idOf(cold), 123_456_789] });
  expect(batch.customers.map((c) => c.id).sort((a, b) => a - b)).toEqual([idOf(warm), idOf(cold)].sort((a, b) => a - b));
  const page = await t.masterData.listCustomers({ pageSize: 5 });
  expect(page.customers).toHaveLength(5);
  // Cache calls fail fast instead of waiting for Redis: an outage costs no request latency worth noticing.
  expect(Date.now() - started).toBeLessThan(3000);
  expect(await cachedCustomerKeys(idOf(cold))).toEqual([]);

  proxy.restore();
  await eventually(async () => {
    await t.masterData.getCustomer({ id: idOf(later) });
    return (await cachedCustomerKeys(idOf(later))).length === 1;
  }, 15_000);
  // The generation survived the outage, so entries cached before it are still the ones in use.
  const [afterKey] = await cachedCustomerKeys(idOf(later));
  expect(generationOf(afterKey!)).toBe(generationBefore);
  expect(await cachedCustomerKeys(idOf(warm))).toEqual(warmKeys);

  // Back to serving hot keys from the process, and invalidations still reach those copies.
  await t.sql(`UPDATE md_record SET data = jsonb_set(data, '{CUSTOMER_NAME}', '"CHANGED AFTER OUTAGE"') WHERE entity = 'customer' AND record_key = ?`, [
    String(idOf(later)),
  ]);
  expect((await t.masterData.getCustomer({ id: idOf(later) })).customer?.name).toBe(later.CUSTOMER_NAME);
  await t.service.store.invalidate(requireEntity('customer'), [String(idOf(later))]);
  expect((await t.masterData.getCustomer({ id: idOf(later) })).customer?.name).toBe('CHANGED AFTER OUTAGE');
});
