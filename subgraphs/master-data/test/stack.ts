import { MasterDataServiceDefinition, type MasterDataServiceClient } from '@core/contracts/masterdata/v1';
import { type MasterDataService, loadMasterDataConfig, startMasterDataService } from '@core/master-data-service';
import { once } from 'node:events';
import { createGrpcClient, createLogger, createRedis } from '@core/platform';
import { createTestDatabase, createTestIssuer, redisUrl, type TestIssuer } from '@core/testing';
import { Metadata } from 'nice-grpc';
import { createFixtureSource, SCALABLE_TABLES } from '../../../grpc-services/master-data/src/data/fixture/index.js';
import { createMasterDataSubgraph, type MasterDataSubgraph } from '../src/index.js';

/** Customers in the test fixture: enough for pages of 100 plus paging beyond them. */
export const FIXTURE_CUSTOMERS = 300;

/** The real master-data service (PostgreSQL, Redis, fixture source, initial sync done) plus the subgraph on top. */
export interface MasterDataStack {
  readonly service: MasterDataService;
  readonly subgraph: MasterDataSubgraph;
  /** A direct gRPC client (with a data-team token), for expectations computed without the subgraph. */
  readonly grpc: MasterDataServiceClient;
  /** Signs the tokens the service trusts. */
  readonly issuer: TestIssuer;
  /** `{ authorization }` headers of a data-team member, valid for an hour. */
  readonly auth: Record<string, string>;
  /** gRPC calls the subgraph made since the last {@link MasterDataStack.resetCalls}, by method. */
  calls(): Record<string, number>;
  /** JSON log lines of the master-data service (info and above), for propagation checks. */
  serviceLogs(): Record<string, unknown>[];
  resetCalls(): void;
  stop(): Promise<void>;
}

/** Starts the stack on fresh storage: a new PostgreSQL database and its own Redis key prefix. */
export async function startMasterDataStack(purpose: string): Promise<MasterDataStack> {
  const logger = createLogger(purpose, { level: 'warn' });
  const serviceLogLines: string[] = [];
  const serviceLogger = createLogger(`${purpose}-service`, {
    level: 'info',
    destination: { write: (line: string) => void serviceLogLines.push(line) },
  });
  const database = await createTestDatabase(purpose);
  const stops: (() => Promise<void>)[] = [() => database.drop()];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
    // Connected before the service starts: its bootstrap sync takes Redis locks at once, and the
    // platform client (no offline queue) fails commands sent before the connection is ready.
    const redis = createRedis(redisUrl(), logger);
    stops.push(async () => void redis.disconnect());
    if (redis.status !== 'ready') await once(redis, 'ready');
    const config = loadMasterDataConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      CACHE_PREFIX: `test:${purpose}:${process.pid}:${Date.now()}:`,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      SYNC_SCHEDULES_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    });
    // Small volume tables keep the initial sync of all 53 views quick.
    const scale = Object.fromEntries(Object.keys(SCALABLE_TABLES).map((table) => [table, 0]));
    const issuer = await createTestIssuer();
    const authorization = await issuer.bearer(['data-team'], { ttlSeconds: 3600 });
    const service = await startMasterDataService({
      config,
      auth: { jwks: issuer.jwks },
      logger: serviceLogger,
      redis,
      source: createFixtureSource({ scale: { ...scale, customer: FIXTURE_CUSTOMERS, 'price-list': 200 } }),
    });
    stops.push(() => service.stop());
    const report = await service.waitForInitialSync();
    if (report.entitiesFailed.length > 0) throw new Error(`initial sync failed for ${report.entitiesFailed.join(', ')}`);

    const counts = new Map<string, number>();
    const subgraph = await createMasterDataSubgraph({
      grpcAddress: service.address,
      logger,
      host: '127.0.0.1',
      port: 0,
      onGrpcCall: (_service, method) => counts.set(method, (counts.get(method) ?? 0) + 1),
    });
    stops.push(() => subgraph.stop());
    const authMetadata = new Metadata({ authorization });
    const grpc = createGrpcClient(MasterDataServiceDefinition, service.address, { metadata: () => authMetadata });
    stops.push(async () => grpc.close());
    return {
      service,
      subgraph,
      grpc: grpc.client as MasterDataServiceClient,
      issuer,
      auth: { authorization },
      calls: () => Object.fromEntries(counts),
      serviceLogs: () => serviceLogLines.map((line) => JSON.parse(line) as Record<string, unknown>),
      resetCalls: () => counts.clear(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** GraphQL response data as the tests walk it; its shape is what the assertions check. */
// biome-ignore lint/suspicious/noExplicitAny: response shapes are asserted field by field, not typed
export type Data = any;

/** A GraphQL response as the tests read it. */
export interface GraphQLResponse<T = Record<string, Data>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, Data> }[];
}

/** POSTs one operation to a GraphQL endpoint. */
export async function postGraphQL<T = Record<string, Data>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}
