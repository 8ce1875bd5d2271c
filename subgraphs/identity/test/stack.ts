import { IdentityServiceDefinition } from '@core/contracts/identity/v1';
import { type IdentityService, loadIdentityConfig, startIdentityService } from '@core/identity-service';
import { createGrpcClient } from '@core/platform';
import { createTestDatabase, testLogger } from '@core/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentitySubgraph, type IdentitySubgraph } from '../src/index.js';

type IdentityClient = ReturnType<typeof createGrpcClient<typeof IdentityServiceDefinition>>['client'];

/** The real identity service (PostgreSQL, demo accounts) plus the subgraph on top. */
export interface IdentityStack {
  readonly service: IdentityService;
  readonly subgraph: IdentitySubgraph;
  /** A direct gRPC client, for expectations computed without the subgraph. */
  readonly grpc: IdentityClient;
  /** gRPC calls the subgraph made since the last {@link IdentityStack.resetCalls}, by method. */
  calls(): Record<string, number>;
  resetCalls(): void;
  stop(): Promise<void>;
}

/**
 * Starts the stack on fresh storage: a new PostgreSQL database, a new key directory and the demo
 * accounts. argon2 runs with its smallest cost so the suite stays quick on a shared machine; the
 * algorithm is the production one.
 */
export async function startIdentityStack(purpose: string, env: Record<string, string> = {}): Promise<IdentityStack> {
  const database = await createTestDatabase(purpose);
  const keyDir = await mkdtemp(join(tmpdir(), 'identity-subgraph-keys-'));
  const stops: (() => Promise<void>)[] = [() => database.drop(), () => rm(keyDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
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
    const service = await startIdentityService({ config, logger: testLogger('identity') });
    stops.push(() => service.stop());
    const counts = new Map<string, number>();
    const subgraph = await createIdentitySubgraph({
      grpcAddress: service.address,
      logger: testLogger('identity-subgraph'),
      host: '127.0.0.1',
      port: 0,
      onGrpcCall: (_service, method) => counts.set(method, (counts.get(method) ?? 0) + 1),
    });
    stops.push(() => subgraph.stop());
    const grpc = createGrpcClient(IdentityServiceDefinition, service.address, { retries: 0 });
    stops.push(async () => grpc.close());
    return {
      service,
      subgraph,
      grpc: grpc.client,
      calls: () => Object.fromEntries(counts),
      resetCalls: () => counts.clear(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
