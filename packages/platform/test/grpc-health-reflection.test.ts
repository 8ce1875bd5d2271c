import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcServer } from '../src/index.js';
import { startSyncServer } from './grpc-harness.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const buf = (...args: string[]) =>
  promisify(execFile)(`${repoRoot}/node_modules/.bin/buf`, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], {
    cwd: repoRoot,
    timeout: 20_000,
  });

let server: GrpcServer;
let url: string;

beforeAll(async () => {
  const started = await startSyncServer({ async getEntityState() { return { entity: { name: 'CUSTOMER' } }; } });
  server = started.server;
  url = `http://127.0.0.1:${started.port}`;
});

afterAll(async () => {
  await server.shutdown(1000);
});

describe('health and reflection (buf curl, no local .proto files)', () => {
  it('lists the added service, health and reflection', async () => {
    const { stdout } = await buf('--list-services', url);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual([
      'core.masterdata.v1.SyncService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
    ]);
  });

  it('answers Health/Check for the server and for each service', async () => {
    const overall = await buf(`${url}/grpc.health.v1.Health/Check`);
    expect(JSON.parse(overall.stdout)).toEqual({ status: 'SERVING' });
    const service = await buf('-d', '{"service":"core.masterdata.v1.SyncService"}', `${url}/grpc.health.v1.Health/Check`);
    expect(JSON.parse(service.stdout)).toEqual({ status: 'SERVING' });
  });

  it('calls a service method through reflection', async () => {
    const { stdout } = await buf('-d', '{"entity":"CUSTOMER"}', `${url}/core.masterdata.v1.SyncService/GetEntityState`);
    expect(JSON.parse(stdout)).toMatchObject({ entity: { name: 'CUSTOMER' } });
  });
});
