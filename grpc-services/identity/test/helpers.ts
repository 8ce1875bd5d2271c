import { IdentityServiceDefinition } from '@core/contracts/identity/v1';
import { createGrpcClient, type DomainError } from '@core/platform';
import { domainErrorOf } from '@core/testing';
import { createTestDatabase, testLogger, type TestDatabase } from '@core/testing';
import { Metadata } from 'nice-grpc';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadIdentityConfig } from '../src/config.js';
import { startIdentityService, type IdentityService } from '../src/server.js';

/** A clock the test moves by hand (token expiry, lockout) instead of sleeping. */
export interface TestClock {
  (): Date;
  advance(ms: number): void;
}

/** Starts at a fixed instant; time only moves when the test says so. */
export function testClock(start = new Date('2026-11-21T08:00:00.000Z')): TestClock {
  let now = start.getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

type IdentityClient = ReturnType<typeof createGrpcClient<typeof IdentityServiceDefinition>>['client'];

/** An identity service on 127.0.0.1:0 with its own database, key directory and clock, plus a client. */
export interface TestIdentity {
  readonly service: IdentityService;
  readonly database: TestDatabase;
  readonly clock: TestClock;
  /** Directory holding the generated signing key (tests forge tokens with it). */
  readonly keyDir: string;
  readonly identity: IdentityClient;
  /** Call options carrying `authorization: Bearer <token>`. */
  as(token: string): { metadata: Metadata };
  /** Signs in a demo account (`demo.<role>`, password `demo-<role>-pass`) and returns its access token. */
  tokenOf(role: string): Promise<string>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * Starts the service like production does (config from an environment, migrations, demo seed)
 * on real PostgreSQL. argon2 runs with its smallest memory cost so the suites stay quick on a
 * shared 2-core machine; the algorithm (argon2id) is the production one.
 */
export async function startTestIdentity(label: string, env: Record<string, string> = {}): Promise<TestIdentity> {
  const database = await createTestDatabase(`id_${label}`);
  const keyDir = await mkdtemp(join(tmpdir(), 'identity-keys-'));
  const clock = testClock();
  const config = loadIdentityConfig({
    DATABASE_URL: database.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    IDENTITY_KEY_DIR: keyDir,
    IDENTITY_SEED_DEMO: 'true',
    IDENTITY_ARGON2_MEMORY_KIB: '1024',
    IDENTITY_ARGON2_TIME_COST: '1',
    ...env,
  });
  let service: IdentityService;
  try {
    service = await startIdentityService({ config, logger: testLogger('identity'), clock });
  } catch (err) {
    await database.drop();
    await rm(keyDir, { recursive: true, force: true });
    throw err;
  }
  const grpc = createGrpcClient(IdentityServiceDefinition, service.address, { retries: 0, deadlineMs: 30_000 });
  const as = (token: string) => ({ metadata: Metadata({ authorization: `Bearer ${token}` }) });
  return {
    service,
    database,
    clock,
    keyDir,
    identity: grpc.client,
    as,
    async tokenOf(role) {
      const { tokens } = await grpc.client.login({ login: `demo.${role}`, password: `demo-${role}-pass` });
      return tokens!.accessToken;
    },
    sql: async <T>(text: string, params: unknown[] = []) => (await service.orm.em.getConnection().execute(text, params, 'all')) as T[],
    async stop() {
      grpc.close();
      try {
        await service.stop();
      } finally {
        await database.drop();
        await rm(keyDir, { recursive: true, force: true });
      }
    },
  };
}

export { domainErrorOf };

/** Asserts the call failed with `code` (and `reason`, when given). */
export async function expectError(call: Promise<unknown>, code: string, reason?: string): Promise<DomainError> {
  const error = await domainErrorOf(call);
  expect(error.code, error.message).toBe(code);
  if (reason) expect(error.reason).toBe(reason);
  return error;
}
