import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SMALL_FIXTURE, startTestService, type TestService } from './helpers.js';

const buf = fileURLToPath(new URL('../../../node_modules/.bin/buf', import.meta.url));

/** `buf curl` over plaintext HTTP/2: it learns the schema from server reflection only. */
async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], {
    timeout: 30_000,
  });
  return stdout;
}

let t: TestService;

beforeAll(async () => {
  t = await startTestService({ label: 'reflection', fixture: SMALL_FIXTURE, redis: null });
  await t.service.waitForInitialSync();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

it('lists its services through reflection', async () => {
  const services = (await bufCurl('--list-services', `http://${t.service.address}`)).trim().split('\n').sort();
  expect(services).toEqual([
    'core.audit.v1.AuditService',
    'core.masterdata.v1.MasterDataService',
    'core.masterdata.v1.SyncService',
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
  ]);
});

it('answers a call made from reflected descriptors alone, as JSON', async () => {
  const [row] = await t.sql<{ record_key: string }>(
    "SELECT record_key FROM md_record WHERE entity = 'customer' ORDER BY record_key LIMIT 1",
  );
  // Every call needs a bearer token, reflected or not (reflection itself needs none).
  const output = await bufCurl(
    '-H',
    `authorization: ${await t.issuer.bearer([])}`,
    '-d',
    JSON.stringify({ id: row!.record_key }),
    `http://${t.service.address}/core.masterdata.v1.MasterDataService/GetCustomer`,
  );
  const { customer } = JSON.parse(output) as { customer: { id: string; number: string } };
  expect(customer.id).toBe(row!.record_key);
  expect(customer.number).not.toBe('');
});

it('reports SERVING on the health service', async () => {
  const output = await bufCurl(
    '-d',
    JSON.stringify({ service: 'core.masterdata.v1.MasterDataService' }),
    `http://${t.service.address}/grpc.health.v1.Health/Check`,
  );
  expect(JSON.parse(output)).toEqual({ status: 'SERVING' });
});
