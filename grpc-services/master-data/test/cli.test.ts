import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SyncServiceDefinition, SyncMode, SyncRunStatus } from '@core/contracts/masterdata/v1';
import { createGrpcClient, fromGrpcError } from '@core/platform';
import { createTestDatabase, createTestIssuer, redisUrl, testLogger, uniquePrefix, type TestDatabase, type TestIssuer } from '@core/testing';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureSource, SCALABLE_TABLES, type FixtureSource } from '../src/data/fixture/index.js';
import { loadMasterDataConfig, startMasterDataService, type MasterDataService } from '../src/index.js';

const logger = testLogger('md-sync-cli');
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

let db: TestDatabase;
let fixture: FixtureSource;
let service: MasterDataService;
let issuer: TestIssuer;
/** A data engineer's token (the CLI's MD_SYNC_TOKEN). */
let dataTeamToken: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI the way a data engineer does, as its own process against the running service. */
function mdSync(...args: string[]): Promise<CliResult> {
  return mdSyncWith({ MD_SYNC_TOKEN: dataTeamToken }, ...args);
}

function mdSyncWith(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'grpc-services/master-data/src/cli.ts', ...args],
      { cwd: repoRoot, env: { ...process.env, MASTERDATA_GRPC_ADDRESS: service.address, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr.replace(/^npm warn.*\n/gm, '') });
      },
    );
  });
}

beforeAll(async () => {
  db = await createTestDatabase('md_sync_cli');
  // Small volume tables keep the service's initial load of all 53 entities short.
  fixture = createFixtureSource({ scale: Object.fromEntries(Object.keys(SCALABLE_TABLES).map((name) => [name, 50])) });
  const config = loadMasterDataConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl(),
    CACHE_PREFIX: uniquePrefix('md-sync-cli'),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    SYNC_SCHEDULES_ENABLED: 'false',
    LOG_LEVEL: 'silent',
  });
  issuer = await createTestIssuer();
  dataTeamToken = await issuer.token({ sub: 'data.engineer', roles: ['data-team'], ttlSeconds: 3600 });
  service = await startMasterDataService({ config, logger, source: fixture, auth: { jwks: issuer.jwks } });
  const initial = await service.waitForInitialSync();
  expect(initial.entitiesFailed).toEqual([]);
}, 180_000);

afterAll(async () => {
  await service?.stop();
  await db?.drop();
});

// Each CLI call starts its own process (npx + tsx), a few seconds apiece on a busy machine.
describe('md-sync CLI against a running service', { timeout: 90_000 }, () => {
  it('run <entity> waits for the run and prints it; --json gives the same as JSON', async () => {
    const table = await mdSync('run', 'customer');
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+ENTITY\s+MODE\s+TRIGGER\s+STATUS/);
    expect(table.stdout).toMatch(/customer\s+incremental\s+manual\s+succeeded/);

    const json = await mdSync('run', 'customer', '--full', '--json');
    expect(json.code).toBe(0);
    const run = JSON.parse(json.stdout);
    expect(run).toMatchObject({ entity: 'customer', mode: 'full', trigger: 'manual', status: 'succeeded', triggeredBy: 'data.engineer' });
    expect(run.rowsRead).toBe(fixture.count('customer'));
    expect(await service.sync.getRun(run.id)).toMatchObject({ status: 'succeeded', mode: 'full' });
  });

  it('run --no-wait returns the run while it is still running', async () => {
    const result = await mdSync('run', 'price-list', '--full', '--no-wait', '--json');
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ entity: 'price-list', status: 'running' });
  });

  it('an unknown entity exits 1 with the server’s INVALID_ARGUMENT message', async () => {
    const result = await mdSync('run', 'pelanggan');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('INVALID_ARGUMENT UNKNOWN_ENTITY: unknown entity "pelanggan"');
    expect(result.stderr).toContain('entity: must be one of the');
  });

  it('runs lists the history newest first, filtered and limited', async () => {
    const result = await mdSync('runs', '--entity', 'customer', '--limit', '2', '--json');
    expect(result.code).toBe(0);
    const runs = JSON.parse(result.stdout) as Array<{ entity: string; mode: string; startTime: string }>;
    expect(runs).toHaveLength(2);
    expect(runs.map((run) => run.entity)).toEqual(['customer', 'customer']);
    expect(runs[0]!.mode).toBe('full');
    expect(Date.parse(runs[0]!.startTime)).toBeGreaterThanOrEqual(Date.parse(runs[1]!.startTime));
  });

  it('status shows every entity (rows, watermark, lag, last success) or one', async () => {
    const all = await mdSync('status', '--json');
    expect(all.code).toBe(0);
    const entities = JSON.parse(all.stdout) as Array<{ name: string; state: { rowCount: number } }>;
    expect(entities).toHaveLength(53);
    const customer = entities.find((entity) => entity.name === 'customer');
    expect(customer?.state.rowCount).toBe(fixture.count('customer'));

    const one = await mdSync('status', 'customer');
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^ENTITY\s+ROWS\s+WATERMARK\s+LAG\s+LAST SUCCESS/);
    expect(one.stdout).toMatch(new RegExp(`customer\\s+${fixture.count('customer')}\\s+20\\d\\d-`));
  });

  it('invalidate drops the given keys or the whole entity; a malformed key is INVALID_ARGUMENT', async () => {
    const keys = await mdSync('invalidate', 'customer', '1001', '1002');
    expect(keys).toMatchObject({ code: 0, stdout: 'dropped 2 cached record(s) of customer\n' });

    const whole = await mdSync('invalidate', 'customer', '--json');
    expect(whole.code).toBe(0);
    expect(JSON.parse(whole.stdout)).toEqual({ entity: 'customer', dropped: 0, all: true });

    const bad = await mdSync('invalidate', 'customer', '1,2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_ARGUMENT INVALID_RECORD_KEY');
  });

  it('needs a token, and the data-team role to run a sync', async () => {
    const missing = await mdSyncWith({ MD_SYNC_TOKEN: '' }, 'status');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('an access token is needed');
    const amoToken = await issuer.token({ roles: ['amo'] });
    const reader = await mdSyncWith({ MD_SYNC_TOKEN: amoToken }, 'status', 'region');
    expect(reader.code).toBe(0);
    const refused = await mdSyncWith({ MD_SYNC_TOKEN: amoToken }, 'run', 'region');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PERMISSION_DENIED ROLE_REQUIRED');
  });

  it('a usage mistake exits 1 with usage', async () => {
    const result = await mdSync('runs', '--limit', 'many');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--limit must be a positive whole number');
    expect(result.stderr).toContain('usage: md-sync');
  });
});

/** The SyncService calls the CLI does not make, and its bad-input answers, over a real channel. */
describe('SyncService over gRPC', () => {
  const call = async <T>(fn: (client: ReturnType<typeof createGrpcClient<typeof SyncServiceDefinition>>['client']) => Promise<T>) => {
    const authorization = new Metadata({ authorization: `Bearer ${dataTeamToken}` });
    const { client, close } = createGrpcClient(SyncServiceDefinition, service.address, { metadata: () => authorization });
    try {
      return await fn(client);
    } finally {
      close();
    }
  };
  const failure = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    return fromGrpcError(err);
  };

  it('GetSyncRun returns a run, NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one', async () => {
    await call(async (client) => {
      const { run } = await client.triggerSync({ entity: 'region', mode: SyncMode.SYNC_MODE_FULL, wait: true });
      expect(run).toMatchObject({ entity: 'region', mode: SyncMode.SYNC_MODE_FULL, status: SyncRunStatus.SYNC_RUN_STATUS_SUCCEEDED });
      expect((await client.getSyncRun({ id: run!.id })).run).toEqual(run);

      const missing = await failure(client.getSyncRun({ id: '00000000-0000-4000-8000-000000000000' }));
      expect(missing).toMatchObject({ code: 'NOT_FOUND', reason: 'SYNC_RUN_NOT_FOUND' });
      const malformed = await failure(client.getSyncRun({ id: "1' OR '1'='1" }));
      expect(malformed).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_SYNC_RUN_ID' });
    });
  });

  it('rejects bad input with INVALID_ARGUMENT and field violations, never INTERNAL', async () => {
    await call(async (client) => {
      expect(await failure(client.triggerSync({ entity: 'customer', mode: 7 as SyncMode, wait: false }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        reason: 'UNKNOWN_SYNC_MODE',
        fieldViolations: [expect.objectContaining({ field: 'mode' })],
      });
      expect(await failure(client.listSyncRuns({ entity: '', pageSize: 500, pageToken: '' }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        reason: 'PAGE_SIZE_OUT_OF_RANGE',
      });
      expect(await failure(client.listSyncRuns({ entity: '', pageSize: 1, pageToken: 'not-a-token' }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        reason: 'INVALID_PAGE_TOKEN',
      });
      expect(await failure(client.getEntityState({ entity: '%\'; DROP TABLE md_record; --' }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        reason: 'UNKNOWN_ENTITY',
      });
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ values: [String(i)] }));
      expect(await failure(client.invalidateCache({ entity: 'customer', keys: tooMany }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        reason: 'TOO_MANY_KEYS',
      });
    });
  });

  it('GetEntityState describes the entity with its freshness', async () => {
    await call(async (client) => {
      const { entity } = await client.getEntityState({ entity: 'customer' });
      expect(entity).toMatchObject({ name: 'customer', keyColumns: ['CUST_ACCOUNT_ID'], updateColumn: 'LAST_UPDATE_DATE' });
      expect(entity?.columns.find((column) => column.name === 'CUST_ACCOUNT_ID')).toMatchObject({ key: true });
      expect(entity?.state?.rowCount).toBe(fixture.count('customer'));
      expect(entity?.state?.lagSeconds).toBeGreaterThanOrEqual(0);
      expect(entity?.state?.lastSuccessTime).toBeInstanceOf(Date);
    });
  });
});
