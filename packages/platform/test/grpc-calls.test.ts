import { ClientError, Metadata, ServerError, Status } from 'nice-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Access,
  authorize,
  downstreamCallOptions,
  fromGrpcError,
  propagationMetadata,
  reusableResponse,
  unauthenticated,
  unavailable,
  type GrpcServer,
  type ServiceContext,
} from '../src/index.js';
import { rejectionOf, startSyncServer, syncClient } from './grpc-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(...args: Parameters<typeof startSyncServer>) {
  const started = await startSyncServer(...args);
  cleanups.push(() => started.server.shutdown(500));
  return started;
}

function client(...args: Parameters<typeof syncClient>) {
  const created = syncClient(...args);
  cleanups.push(() => created.close());
  return created.client;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

describe('deadlines', () => {
  it('propagates the remaining deadline, the token and the trace to a downstream service', async () => {
    let seen: { deadline?: Date; traceId: string; authorization?: string } | undefined;
    const downstream = await serve({
      async getEntityState(_request, ctx) {
        seen = { deadline: ctx.deadline, traceId: ctx.traceId, authorization: ctx.metadata.get('authorization') };
        return {};
      },
    });
    const downstreamClient = client(downstream.address);
    let upstreamContext: ServiceContext | undefined;
    const upstream = await serve({
      async getEntityState(request, ctx) {
        upstreamContext = ctx;
        await sleep(100);
        return downstreamClient.getEntityState(request, downstreamCallOptions(ctx));
      },
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const started = Date.now();
    await client(upstream.address).getEntityState(
      { entity: 'CUSTOMER' },
      { deadline: 2_000, metadata: propagationMetadata({ authorization: 'Bearer abc', traceparent }) },
    );
    expect(upstreamContext?.deadline?.getTime()).toBeGreaterThan(started + 1_500);
    // A relative timeout (like grpc-timeout) re-anchors at arrival, so transit and connection setup
    // of the first call may add a little; it never grows by more than that.
    expect(upstreamContext?.deadline?.getTime()).toBeLessThanOrEqual(started + 2_250);
    expect(seen?.deadline?.getTime()).toBeLessThanOrEqual((upstreamContext?.deadline?.getTime() ?? 0) + 50);
    expect(seen?.deadline?.getTime()).toBeGreaterThan(started + 1_500);
    expect(seen?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(seen?.authorization).toBe('Bearer abc');
  });

  it('fails with DEADLINE_EXCEEDED and cancels the handler when the deadline passes', async () => {
    let handlerAborted: Promise<void> | undefined;
    const { address } = await serve({
      async getEntityState(_request, ctx) {
        handlerAborted = new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        await sleep(10_000, ctx.signal);
        return {};
      },
    });
    const started = Date.now();
    const err = (await rejectionOf(client(address, { deadlineMs: 300 }).getEntityState({}))) as ClientError;
    expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(handlerAborted).resolves.toBeUndefined();
  });

  it('rejects a call whose deadline has already passed without running the handler', async () => {
    let ran = false;
    const { address } = await serve({
      async getEntityState() {
        ran = true;
        return {};
      },
    });
    const expired = Metadata({ 'core-timeout-ms': '0' });
    const err = (await rejectionOf(client(address, { deadlineMs: 0 }).getEntityState({}, { metadata: expired }))) as ClientError;
    expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(ran).toBe(false);
  });
});

describe('retries', () => {
  it('retries a NO_SIDE_EFFECTS method on UNAVAILABLE and succeeds', async () => {
    let attempts = 0;
    const { address } = await serve({
      async getSyncRun() {
        attempts += 1;
        if (attempts < 3) throw unavailable('MIRROR_DOWN', 'mirror restarting');
        return { run: { id: 'run-1' } };
      },
    });
    const response = await client(address, { retries: 3 }).getSyncRun({ id: 'run-1' });
    expect(response.run?.id).toBe('run-1');
    expect(attempts).toBe(3);
  });

  it('gives up after the configured retries', async () => {
    let attempts = 0;
    const { address } = await serve({
      async getSyncRun() {
        attempts += 1;
        throw unavailable('MIRROR_DOWN', 'mirror down');
      },
    });
    const err = (await rejectionOf(client(address, { retries: 2 }).getSyncRun({ id: 'x' }))) as ClientError;
    expect(err.code).toBe(Status.UNAVAILABLE);
    expect(attempts).toBe(3);
  });

  it('never retries a method with side effects', async () => {
    let attempts = 0;
    const { address } = await serve({
      async triggerSync() {
        attempts += 1;
        throw unavailable('SOURCE_DOWN', 'source down');
      },
    });
    await rejectionOf(client(address, { retries: 3 }).triggerSync({ entity: 'CUSTOMER' }));
    expect(attempts).toBe(1);
  });

  it('does not retry INTERNAL even for reads', async () => {
    let attempts = 0;
    const { address } = await serve({
      async getSyncRun() {
        attempts += 1;
        throw new Error('bug');
      },
    });
    await rejectionOf(client(address, { retries: 3 }).getSyncRun({ id: 'x' }));
    expect(attempts).toBe(1);
  });
});

describe('authentication seam and metrics', () => {
  it('gives handlers the caller resolved from metadata, and a refused credential as the refusal', async () => {
    let subject: string | undefined;
    let refusal: string | undefined;
    const { address, metrics } = await serve(
      {
        async getEntityState(_request, ctx) {
          subject = ctx.caller?.subject;
          refusal = ctx.authRefusal?.reason;
          authorize(Access.signedIn, ctx);
          return {};
        },
      },
      {
        authenticate: async (metadata) => {
          const header = metadata.get('authorization');
          if (header === undefined) return undefined;
          if (header !== 'Bearer good') throw unauthenticated('INVALID_TOKEN', 'token rejected');
          return { subject: 'budi', roles: ['sales'], claims: {} };
        },
      },
    );
    const token = (authorization: string) => () => propagationMetadata({ authorization });
    await client(address, { metadata: token('Bearer good') }).getEntityState({});
    expect(subject).toBe('budi');
    expect(refusal).toBeUndefined();
    const err = (await rejectionOf(client(address, { metadata: token('Bearer bad') }).getEntityState({}))) as ClientError;
    expect(err.code).toBe(Status.UNAUTHENTICATED);
    expect(fromGrpcError(err)?.reason).toBe('INVALID_TOKEN');
    expect([subject, refusal]).toEqual([undefined, 'INVALID_TOKEN']);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/grpc_server_handled_total\{service="core\.masterdata\.v1\.SyncService",method="GetEntityState",code="OK"\} 1/);
    expect(text).toMatch(/grpc_server_handled_total\{[^}]*code="UNAUTHENTICATED"\} 1/);
    expect(text).toMatch(/grpc_server_handling_seconds_count\{[^}]*method="GetEntityState"\} 2/);
  });
});

describe('graceful shutdown', () => {
  it('reports NOT_SERVING and lets an in-flight call finish', async () => {
    // biome-ignore lint/style/useConst: the handler below captures it before the server exists
    let server: GrpcServer | undefined;
    let reportedDuringCall: string | undefined;
    const started = await startSyncServer({
      async getEntityState() {
        await sleep(400);
        reportedDuringCall = server?.health.getStatus();
        return { entity: { name: 'DRAINED' } };
      },
    });
    server = started.server;
    const call = client(started.address).getEntityState({});
    await sleep(100);
    const shutdown = started.server.shutdown(5_000);
    const response = await call;
    await shutdown;
    expect(response.entity?.name).toBe('DRAINED');
    expect(reportedDuringCall).toBe('unhealthy');
  });

  it('cancels calls that outlive the grace period', async () => {
    const started = await startSyncServer({
      async getEntityState(_request, ctx) {
        await sleep(60_000, ctx.signal);
        return {};
      },
    });
    const call = rejectionOf(client(started.address, { deadlineMs: 30_000 }).getEntityState({}));
    await sleep(100);
    const before = Date.now();
    await started.server.shutdown(300);
    expect(Date.now() - before).toBeLessThan(2_000);
    const err = (await call) as ClientError;
    expect(err).toBeInstanceOf(ClientError);
    expect([Status.CANCELLED, Status.UNAVAILABLE]).toContain(err.code);
  });

  it('passes a ServerError thrown by a handler through unchanged', async () => {
    const { address } = await serve({
      async getEntityState() {
        throw new ServerError(Status.FAILED_PRECONDITION, 'the entity is being rebuilt');
      },
    });
    const err = (await rejectionOf(client(address).getEntityState({}))) as ClientError;
    expect(err.code).toBe(Status.FAILED_PRECONDITION);
    expect(err.details).toBe('the entity is being rebuilt');
  });
});

describe('reusable responses', () => {
  it('encodes a reusable response once per method and keeps sending those bytes; ordinary responses are encoded per call', async () => {
    const started = new Date('2026-01-02T03:04:05.000Z');
    const run = { id: 'run-1', entity: 'customer', triggeredBy: 'scheduler', startTime: started, rowsRead: 7 };
    const reusable = reusableResponse({ run });
    const fresh = { id: 'run-2', entity: 'branch', triggeredBy: 'scheduler', rowsRead: 1 };
    const { address } = await serve({
      getSyncRun: async (request) => (request.id === 'run-1' ? reusable : { run: fresh }),
    });
    const sync = client(address);

    // Deep-frozen, so nothing can change what was encoded.
    expect(Object.isFrozen(reusable)).toBe(true);
    expect(Object.isFrozen(run)).toBe(true);
    expect(() => {
      (run as { rowsRead: number }).rowsRead = 8;
    }).toThrow(TypeError);

    const first = await sync.getSyncRun({ id: 'run-1' });
    expect(first.run).toMatchObject({ id: 'run-1', entity: 'customer', rowsRead: 7, startTime: started });
    // A Date cannot be frozen: changing it anyway shows the bytes are the ones encoded first.
    started.setUTCFullYear(2030);
    const second = await sync.getSyncRun({ id: 'run-1' });
    expect(second.run?.startTime).toEqual(new Date('2026-01-02T03:04:05.000Z'));

    // An ordinary response object is encoded on every call, so a change between calls is sent.
    expect((await sync.getSyncRun({ id: 'run-2' })).run?.rowsRead).toBe(1);
    fresh.rowsRead = 2;
    expect((await sync.getSyncRun({ id: 'run-2' })).run?.rowsRead).toBe(2);
  });
});
