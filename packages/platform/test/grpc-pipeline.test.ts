import { Writable } from 'node:stream';
import { Client as GrpcJsClient, credentials, Metadata as GrpcJsMetadata, type ServiceError } from '@grpc/grpc-js';
import { type ClientError, createChannel, createClientFactory, Metadata, Status, type ServiceDefinition } from 'nice-grpc';
import { errorDetailsClientMiddleware } from 'nice-grpc-error-details';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Access,
  authorize,
  createGrpcServer,
  createLogger,
  createMetrics,
  fromGrpcError,
  invalidArgument,
  unauthenticated,
  type Authenticator,
  type ServiceContext,
} from '../src/index.js';
import { rejectionOf } from './grpc-harness.js';

/** JSON messages, so the test defines its own streaming service without generated code. */
function method<Req, Res, Stream extends boolean>(name: string, responseStream: Stream) {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value));
  const decode = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8'));
  return {
    path: `/test.v1.Probe/${name}`,
    requestStream: false as const,
    responseStream,
    requestSerialize: (value: Req) => encode(value),
    requestDeserialize: (bytes: Uint8Array) => decode(bytes) as Req,
    responseSerialize: (value: Res) => encode(value),
    responseDeserialize: (bytes: Uint8Array) => decode(bytes) as Res,
    options: {},
  };
}

const ProbeDefinition = {
  echo: method<{ text: string }, { text: string; caller?: string }, false>('Echo', false),
  count: method<{ to: number }, { n: number }, true>('Count', true),
} satisfies ServiceDefinition;

interface LogLine {
  msg: string;
  level: string;
  method?: string;
  traceId?: string;
  code?: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const authenticate: Authenticator = async (metadata) => {
  const header = metadata.get('authorization');
  if (header === undefined) return undefined;
  if (header !== 'Bearer good') throw unauthenticated('INVALID_TOKEN', 'token rejected');
  return { subject: 'sari', roles: [], claims: {} };
};

/** A server with the probe service, a captured log and its metrics; the handlers see every context. */
async function startProbe(echo: (request: { text: string }, ctx: ServiceContext) => Promise<{ text: string; caller?: string }>) {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const metrics = createMetrics();
  const server = createGrpcServer({ name: 'probe', logger: createLogger('probe', { level: 'info', destination }), metrics, authenticate });
  server.add(ProbeDefinition, {
    echo,
    async *count(request: { to: number }, ctx: ServiceContext) {
      authorize(Access.signedIn, ctx);
      if (request.to < 0) throw invalidArgument('NEGATIVE_COUNT', 'to must not be negative', [{ field: 'to', description: 'negative' }]);
      for (let n = 1; n <= request.to; n++) yield { n };
    },
  });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.shutdown(500));
  const channel = createChannel(`127.0.0.1:${port}`);
  cleanups.push(() => channel.close());
  // Decodes rich error details, as the platform's clients do.
  const client = createClientFactory().use(errorDetailsClientMiddleware).create(ProbeDefinition, channel);
  return { client, port, lines, metrics };
}

describe('unary calls on the lean path', () => {
  it('delivers the response header and trailer a handler sets, and request metadata as nice-grpc reads it', async () => {
    let seen: { single?: string; repeated?: string; all?: string[]; binary?: Uint8Array; keys?: string[] } = {};
    const { client } = await startProbe(async (request, ctx) => {
      seen = {
        single: ctx.metadata.get('x-single'),
        repeated: ctx.metadata.get('x-repeated'),
        all: ctx.metadata.getAll('x-repeated'),
        binary: ctx.metadata.get('x-blob-bin'),
        keys: [...ctx.metadata].map(([key]) => key).filter((key) => key.startsWith('x-')),
      };
      // Handlers may change what they read; grpc-js's own request metadata stays as received.
      ctx.metadata.set('x-single', 'changed');
      if (ctx.metadata.get('x-single') !== 'changed') throw new Error('metadata write lost');
      ctx.header.set('x-header', 'early');
      ctx.trailer.set('x-trailer', 'late');
      return { text: request.text };
    });
    const metadata = Metadata();
    metadata.set('x-single', 'one');
    metadata.append('x-repeated', 'a');
    metadata.append('x-repeated', 'b');
    metadata.set('x-blob-bin', Uint8Array.from([1, 2, 3]));
    let header: string | undefined;
    let trailer: string | undefined;
    const response = await client.echo(
      { text: 'hi' },
      {
        metadata,
        onHeader: (received) => {
          header = received.get('x-header');
        },
        onTrailer: (received) => {
          trailer = received.get('x-trailer');
        },
      },
    );
    expect(response).toEqual({ text: 'hi' });
    expect([header, trailer]).toEqual(['early', 'late']);
    expect(seen.single).toBe('one');
    expect(seen.repeated).toBe('a, b');
    expect(seen.all).toEqual(['a, b']);
    expect(Buffer.from(seen.binary ?? [])).toEqual(Buffer.from([1, 2, 3]));
    expect(seen.keys?.sort()).toEqual(['x-blob-bin', 'x-repeated', 'x-single']);
  });

  it('aborts the signal when the client cancels, and answers a handler that returns nothing with INTERNAL', async () => {
    let aborted: Promise<void> | undefined;
    const { client, lines } = await startProbe(async (request, ctx) => {
      if (request.text === 'nothing') return undefined as never;
      aborted = new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return { text: 'late' };
    });
    const controller = new AbortController();
    const call = rejectionOf(client.echo({ text: 'wait' }, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect((await call as Error).name).toBe('AbortError');
    await expect(aborted).resolves.toBeUndefined();

    const err = (await rejectionOf(client.echo({ text: 'nothing' }))) as ClientError;
    expect(err.code).toBe(Status.INTERNAL);
    expect(err.details).toBe('internal error');
    expect(lines.find((line) => line.msg === 'grpc call failed')).toMatchObject({ level: 'error', method: '/test.v1.Probe/Echo', code: 'INTERNAL' });
  });

  it('logs a rejected call once, with the method and the caller trace id', async () => {
    const { client, lines } = await startProbe(async (_request, ctx) => {
      authorize(Access.signedIn, ctx);
      return { text: 'never' };
    });
    const metadata = Metadata({ authorization: 'Bearer stale', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const err = await rejectionOf(client.echo({ text: 'x' }, { metadata }));
    expect(fromGrpcError(err)?.reason).toBe('INVALID_TOKEN');
    const rejected = lines.filter((line) => line.msg === 'grpc call rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ method: '/test.v1.Probe/Echo', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', code: 'UNAUTHENTICATED' });
  });

  it('answers an undecodable request with INVALID_ARGUMENT before the handler runs', async () => {
    let ran = false;
    const { port } = await startProbe(async () => {
      ran = true;
      return { text: '' };
    });
    const raw = new GrpcJsClient(`127.0.0.1:${port}`, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const err = await new Promise<ServiceError>((resolve, reject) => {
      raw.makeUnaryRequest(
        '/test.v1.Probe/Echo',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from('{not json'),
        new GrpcJsMetadata(),
        (error) => (error ? resolve(error) : reject(new Error('an undecodable request was accepted'))),
      );
    });
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^the request message could not be decoded/);
    expect(ran).toBe(false);
  });
});

describe('streaming calls', () => {
  it('run the same pipeline: caller, rich errors and metrics', async () => {
    const { client, metrics } = await startProbe(async (request) => request);
    const good = Metadata({ authorization: 'Bearer good' });
    const received: number[] = [];
    for await (const { n } of client.count({ to: 3 }, { metadata: good })) received.push(n);
    expect(received).toEqual([1, 2, 3]);

    const anonymous = await rejectionOf((async () => {
      for await (const _ of client.count({ to: 1 })) break;
    })());
    expect((anonymous as ClientError).code).toBe(Status.UNAUTHENTICATED);

    const invalid = await rejectionOf((async () => {
      for await (const _ of client.count({ to: -1 }, { metadata: good })) break;
    })());
    const domain = fromGrpcError(invalid);
    expect(domain?.reason).toBe('NEGATIVE_COUNT');
    expect(domain?.fieldViolations).toEqual([{ field: 'to', description: 'negative' }]);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/grpc_server_handled_total\{service="test\.v1\.Probe",method="Count",code="OK"\} 1/);
    expect(text).toMatch(/grpc_server_handled_total\{service="test\.v1\.Probe",method="Count",code="UNAUTHENTICATED"\} 1/);
    expect(text).toMatch(/grpc_server_handled_total\{service="test\.v1\.Probe",method="Count",code="INVALID_ARGUMENT"\} 1/);
  });
});
