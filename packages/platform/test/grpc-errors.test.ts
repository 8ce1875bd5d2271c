import { Client as GrpcJsClient, credentials, Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ClientError, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromGrpcError, invalidArgument, notFound, type GrpcServer } from '../src/index.js';
import { rejectionOf, startSyncServer, syncClient } from './grpc-harness.js';

let server: GrpcServer;
let client: ReturnType<typeof syncClient>;
let started: Awaited<ReturnType<typeof startSyncServer>>;

beforeAll(async () => {
  started = await startSyncServer({
    async triggerSync(request) {
      throw invalidArgument('UNKNOWN_ENTITY', `unknown entity "${request.entity}"`, [
        { field: 'entity', description: 'not in the catalogue' },
      ]);
    },
    async getSyncRun(request) {
      throw notFound('SYNC_RUN_NOT_FOUND', 'no such run', { id: request.id });
    },
    async listSyncRuns() {
      throw new Error('connect ECONNREFUSED db-primary.internal:5432 password=s3cret');
    },
    async getEntityState(request) {
      z.object({ entity: z.string().regex(/^[A-Z_]+$/, 'must be an UPPER_SNAKE entity name') }).parse(request);
      return {};
    },
  });
  server = started.server;
  client = syncClient(started.address, { retries: 0 });
});

afterAll(async () => {
  client.close();
  await server.shutdown(1000);
});

describe('error mapping over a real connection', () => {
  it('delivers code, reason and field violations of a DomainError', async () => {
    const err = await rejectionOf(client.client.triggerSync({ entity: 'NOPE' }));
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.INVALID_ARGUMENT);
    const domain = fromGrpcError(err);
    expect(domain?.code).toBe('INVALID_ARGUMENT');
    expect(domain?.reason).toBe('UNKNOWN_ENTITY');
    expect(domain?.message).toBe('unknown entity "NOPE"');
    expect(domain?.fieldViolations).toEqual([{ field: 'entity', description: 'not in the catalogue' }]);
  });

  it('delivers ErrorInfo metadata', async () => {
    const domain = fromGrpcError(await rejectionOf(client.client.getSyncRun({ id: 'run-7' })));
    expect(domain?.code).toBe('NOT_FOUND');
    expect(domain?.reason).toBe('SYNC_RUN_NOT_FOUND');
    expect(domain?.metadata).toEqual({ id: 'run-7' });
  });

  it('turns an unexpected failure into INTERNAL without leaking its text', async () => {
    const err = (await rejectionOf(client.client.listSyncRuns({}))) as ClientError;
    expect(err.code).toBe(Status.INTERNAL);
    expect(err.details).toBe('internal error');
    expect(err.message).not.toMatch(/s3cret|ECONNREFUSED|db-primary/);
    expect(fromGrpcError(err)).toBeUndefined();
  });

  it('reports request validation failures as INVALID_ARGUMENT with the field', async () => {
    const domain = fromGrpcError(await rejectionOf(client.client.getEntityState({ entity: 'customers; drop' })));
    expect(domain?.code).toBe('INVALID_ARGUMENT');
    expect(domain?.fieldViolations).toEqual([{ field: 'entity', description: 'must be an UPPER_SNAKE entity name' }]);
  });

  it('answers a request it cannot decode with INVALID_ARGUMENT, not INTERNAL', async () => {
    const raw = new GrpcJsClient(started.address, credentials.createInsecure());
    try {
      // Field 1 (entity) claims 5 bytes of text but the message ends after one.
      const truncated = Buffer.from([0x0a, 0x05, 0x41]);
      const err = await new Promise<ServiceError>((resolve, reject) => {
        raw.makeUnaryRequest(
          '/core.masterdata.v1.SyncService/TriggerSync',
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          truncated,
          new Metadata(),
          (error) => (error ? resolve(error) : reject(new Error('a truncated request was accepted'))),
        );
      });
      expect(err.code).toBe(grpcStatus.INVALID_ARGUMENT);
      expect(err.details).toMatch(/^the request message could not be decoded/);
    } finally {
      raw.close();
    }
  });
});
