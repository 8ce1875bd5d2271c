import { protoDescriptorSet } from '@core/contracts';
import { SyncServiceDefinition, type SyncServiceImplementation } from '@core/contracts/masterdata/v1';
import { testLogger } from '@core/testing';
import { ServerError, Status } from 'nice-grpc';
import {
  createGrpcClient,
  createGrpcServer,
  createMetrics,
  type Authenticator,
  type GrpcClientOptions,
  type GrpcServer,
  type Metrics,
  type ServiceContextExt,
} from '../src/index.js';

type SyncImpl = SyncServiceImplementation<ServiceContextExt>;

const unimplemented = async (): Promise<never> => {
  throw new ServerError(Status.UNIMPLEMENTED, 'not in this test');
};

/** A real server on 127.0.0.1:0 serving SyncService with the methods a test provides. */
export async function startSyncServer(
  impl: Partial<SyncImpl>,
  options: { authenticate?: Authenticator; metrics?: Metrics } = {},
): Promise<{ server: GrpcServer; port: number; address: string; metrics: Metrics }> {
  const metrics = options.metrics ?? createMetrics();
  const server = createGrpcServer({
    name: 'sync-test',
    logger: testLogger('sync-test'),
    metrics,
    authenticate: options.authenticate,
    descriptorSet: protoDescriptorSet(),
  });
  server.add(SyncServiceDefinition, {
    triggerSync: unimplemented,
    getSyncRun: unimplemented,
    listSyncRuns: unimplemented,
    getEntityState: unimplemented,
    invalidateCache: unimplemented,
    ...impl,
  });
  const port = await server.listen('127.0.0.1:0');
  return { server, port, address: `127.0.0.1:${port}`, metrics };
}

/** A SyncService client with the platform's middleware. */
export function syncClient(address: string, options?: GrpcClientOptions) {
  return createGrpcClient(SyncServiceDefinition, address, options);
}

/** Resolves with what a promise rejected with; fails when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}
