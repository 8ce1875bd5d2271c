import { MasterDataServiceDefinition, SyncServiceDefinition } from '@core/contracts/masterdata/v1';
import { createGrpcClient, type DomainError } from '@core/platform';
import { domainErrorOf } from '@core/testing';
import { createTestDatabase, createTestIssuer, redisUrl, testLogger, uniquePrefix, type TestDatabase, type TestIssuer } from '@core/testing';
import { Metadata } from 'nice-grpc';
import { expect } from 'vitest';
import { loadMasterDataConfig } from '../src/config.js';
import { createFixtureSource, type FixtureSource, type FixtureSourceOptions } from '../src/data/fixture/index.js';
import { startMasterDataService, type MasterDataService } from '../src/server.js';

/** Small volume tables keep the bootstrap sync of all entities quick; shapes stay the fixture's. */
export const SMALL_FIXTURE = {
  scale: {
    customer: 420,
    'ar-customer-sd': 20,
    'price-list': 260,
    'ar-outstanding': 40,
    'mtl-trx-list': 40,
    'summary-fppr': 20,
    'sales-order-stock': 20,
    'open-sales-order': 20,
    'purchase-order': 20,
    'po-line': 20,
    'do-validation': 20,
    'surat-jalan-so': 20,
  },
};

/** A master-data service on 127.0.0.1:0 with its own database, cache prefix and fixture, plus clients. */
export interface TestService {
  readonly service: MasterDataService;
  readonly source: FixtureSource;
  readonly database: TestDatabase;
  /** Prefix of every Redis key this service writes. */
  readonly cachePrefix: string;
  readonly masterData: ReturnType<typeof createGrpcClient<typeof MasterDataServiceDefinition>>['client'];
  readonly sync: ReturnType<typeof createGrpcClient<typeof SyncServiceDefinition>>['client'];
  /** Signs the tokens the service trusts (the clients above carry a data-team token of it). */
  readonly issuer: TestIssuer;
  /** Call options carrying a token with these roles (no roles: a plain signed-in user). */
  as(roles: string[]): Promise<{ metadata: Metadata }>;
  /** Runs SQL on the service's mirror (for assertions and to stage mirror states). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  readonly label: string;
  /** REDIS_URL; defaults to the machine's Redis. `null` runs with the in-process cache. */
  readonly redis?: string | null;
  readonly fixture?: FixtureSourceOptions;
  /** Extra environment for loadMasterDataConfig. */
  readonly env?: Record<string, string>;
}

/**
 * Starts the service like production does (config from an environment, migrations, bootstrap
 * sync), on real PostgreSQL and Redis, with schedules off so only the test moves data.
 */
export async function startTestService(options: TestServiceOptions): Promise<TestService> {
  const database = await createTestDatabase(`md_${options.label}`);
  const cachePrefix = uniquePrefix(`md-${options.label}`);
  const source = createFixtureSource(options.fixture);
  const redis = options.redis === undefined ? redisUrl() : options.redis;
  const config = loadMasterDataConfig({
    DATABASE_URL: database.url,
    ...(redis ? { REDIS_URL: redis } : {}),
    CACHE_PREFIX: cachePrefix,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    SYNC_SCHEDULES_ENABLED: 'false',
    ...options.env,
  });
  const issuer = await createTestIssuer();
  let service: MasterDataService;
  try {
    service = await startMasterDataService({ config, logger: testLogger('master-data'), source, auth: { jwks: issuer.jwks } });
  } catch (err) {
    await database.drop();
    throw err;
  }
  // A data-team member's token, valid for longer than any test file runs.
  const authorization = new Metadata({ authorization: await issuer.bearer(['data-team'], { ttlSeconds: 3600 }) });
  const clientOptions = { retries: 0, deadlineMs: 20_000, metadata: () => authorization };
  const masterData = createGrpcClient(MasterDataServiceDefinition, service.address, clientOptions);
  const sync = createGrpcClient(SyncServiceDefinition, service.address, clientOptions);
  return {
    service,
    source,
    database,
    cachePrefix,
    masterData: masterData.client,
    sync: sync.client,
    issuer,
    as: async (roles) => ({ metadata: new Metadata({ authorization: await issuer.bearer(roles, { ttlSeconds: 3600 }) }) }),
    sql: async <T>(text: string, params: unknown[] = []) =>
      (await service.orm.em.getConnection().execute(text, params, 'all')) as T[],
    async stop() {
      masterData.close();
      sync.close();
      try {
        await service.stop();
      } finally {
        await database.drop();
      }
    },
  };
}

export { domainErrorOf };

/** Every page of a list call, following next_page_token; fails if a page repeats a token. */
export async function allPages<T>(
  fetch: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  const tokens = new Set<string>();
  let token = '';
  let pages = 0;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    pages += 1;
    token = page.nextPageToken;
    expect(tokens.has(token), 'a page token repeated').toBe(false);
    if (token) tokens.add(token);
  } while (token);
  return { items, pages };
}
