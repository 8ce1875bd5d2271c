import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestIdentity, type TestIdentity } from './helpers.js';

const buf = fileURLToPath(new URL('../../../node_modules/.bin/buf', import.meta.url));

/** `buf curl` over plaintext HTTP/2: it learns the schema from server reflection only. */
async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], {
    timeout: 30_000,
  });
  return stdout;
}

let t: TestIdentity;

beforeAll(async () => {
  t = await startTestIdentity('reflection');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

it('lists the identity service, its audit log, health and reflection', async () => {
  const services = (await bufCurl('--list-services', `http://${t.service.address}`)).trim().split('\n').sort();
  expect(services).toEqual([
    'core.audit.v1.AuditService',
    'core.identity.v1.IdentityService',
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
  ]);
});

it('signs in through buf curl with reflected descriptors alone', async () => {
  const output = await bufCurl(
    '-d',
    JSON.stringify({ login: 'demo.admin', password: 'demo-admin-pass' }),
    `http://${t.service.address}/core.identity.v1.IdentityService/Login`,
  );
  const { tokens, user } = JSON.parse(output) as { tokens: { tokenType: string }; user: { roles: string[] } };
  expect(tokens.tokenType).toBe('Bearer');
  expect(user.roles).toEqual(['admin']);
});

it('reports SERVING on the health service', async () => {
  const output = await bufCurl(
    '-d',
    JSON.stringify({ service: 'core.identity.v1.IdentityService' }),
    `http://${t.service.address}/grpc.health.v1.Health/Check`,
  );
  expect(JSON.parse(output)).toEqual({ status: 'SERVING' });
});
