import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheHintOf, type CacheHint, type GatewayContext, SubgraphDataSource } from '../src/subgraph-source.js';

/** What the subgraph under test answers, by the operation name the gateway sends. */
type Answer = { status: number; headers?: Record<string, string>; body: string; delayMs?: number };
const answers: Record<string, Answer> = {
  Ok: { status: 200, headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' }, body: '{"data":{"region":{"name":"Jabodetabek"}}}' },
  Cached: { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60, public' }, body: '{"data":{"region":null}}' },
  Denied: { status: 401, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"message":"no token"}]}' },
  Html: { status: 200, headers: { 'content-type': 'text/html' }, body: '<h1>proxy error</h1>' },
  Stalled: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{}}', delayMs: 1_000 },
};

let server: Server;
let url: string;
const dispatcher = new Agent({ headersTimeout: 300, bodyTimeout: 300 });
const received: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      received.push({ headers: req.headers, body });
      const answer = answers[String(body.operationName)]!;
      setTimeout(() => res.writeHead(answer.status, answer.headers).end(answer.body), answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await dispatcher.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The options Apollo Gateway passes for one fetch of a client operation's query plan. */
function incoming(
  operationName: string,
  headers: IncomingHttpHeaders,
  restricted: CacheHint[] = [],
  forwardedFor?: string,
): GraphQLDataSourceProcessOptions<GatewayContext> {
  const context: GatewayContext = { headers, forwardedFor };
  return {
    kind: 'incoming operation',
    request: { query: `query ${operationName}($code: String!) { region(code: $code) { name } }`, variables: { code: 'JBK' }, operationName },
    context,
    incomingRequestContext: { context, overallCachePolicy: { restrict: (hint: CacheHint) => restricted.push(hint) } },
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
}

describe('SubgraphDataSource', () => {
  it('posts the operation as JSON and forwards only identity, trace and user-agent headers of the client request, and the gateway-built x-forwarded-for', async () => {
    const source = new SubgraphDataSource({ name: 'masterdata', url, dispatcher });
    received.length = 0;
    const response = await source.process(
      incoming('Ok', {
        authorization: 'Bearer abc',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'vendor=1',
        cookie: 'session=secret',
        'user-agent': 'field-app/2.1',
        'x-forwarded-for': '6.6.6.6',
      }, [], '203.0.113.7'),
    );
    expect(response).toEqual({ data: { region: { name: 'Jabodetabek' } } });
    const [sent] = received;
    expect(sent!.body).toEqual({ query: 'query Ok($code: String!) { region(code: $code) { name } }', variables: { code: 'JBK' }, operationName: 'Ok' });
    expect(sent!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer abc',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=1',
      'user-agent': 'field-app/2.1',
      // The context's chain, never the client-written header.
      'x-forwarded-for': '203.0.113.7',
    });
    expect(sent!.headers.cookie).toBeUndefined();
  });

  it("restricts the client request's cache policy by the subgraph's cache-control, and to uncacheable without one", async () => {
    const source = new SubgraphDataSource({ name: 'masterdata', url, dispatcher });
    const hints: CacheHint[] = [];
    await source.process(incoming('Cached', {}, hints));
    await source.process(incoming('Ok', {}, hints));
    expect(hints).toEqual([{ maxAge: 60, scope: 'PUBLIC' }, { maxAge: 0 }]);
  });

  it('turns a 401 answer into UNAUTHENTICATED with the subgraph response attached', async () => {
    const source = new SubgraphDataSource({ name: 'masterdata', url, dispatcher });
    const error = await source.process(incoming('Denied', {})).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).message).toBe('401: Unauthorized');
    expect((error as GraphQLError).extensions).toEqual({
      code: 'UNAUTHENTICATED',
      response: { url, status: 401, statusText: 'Unauthorized', body: { errors: [{ message: 'no token' }] } },
    });
  });

  it('rejects a 200 answer that is not JSON, naming what came back', async () => {
    const source = new SubgraphDataSource({ name: 'masterdata', url, dispatcher });
    await expect(source.process(incoming('Html', {}))).rejects.toThrow('Expected JSON response body, but received: <h1>proxy error</h1>');
  });

  it("fails a fetch the subgraph does not answer within the dispatcher's timeout", async () => {
    const source = new SubgraphDataSource({ name: 'masterdata', url, dispatcher });
    await expect(source.process(incoming('Stalled', {}))).rejects.toThrow(/request to subgraph masterdata at .* failed: Headers Timeout/);
  });

  it('names the subgraph when it cannot be reached', async () => {
    const source = new SubgraphDataSource({ name: 'masterdata', url: 'http://127.0.0.1:9/graphql', dispatcher });
    await expect(source.process(incoming('Ok', {}))).rejects.toThrow(/request to subgraph masterdata at http:\/\/127\.0\.0\.1:9\/graphql failed: .*ECONNREFUSED/);
  });

  it('refuses routing URLs that are not http(s)', () => {
    expect(() => new SubgraphDataSource({ name: 'masterdata', url: 'ftp://127.0.0.1/graphql', dispatcher })).toThrow(/must be http\(s\)/);
  });
});

describe('cacheHintOf', () => {
  it('reads max-age and scope, tolerating quotes, case and spacing', () => {
    expect(cacheHintOf('max-age=120, private')).toEqual({ maxAge: 120, scope: 'PRIVATE' });
    expect(cacheHintOf('Public , MAX-AGE="30"')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
    expect(cacheHintOf('no-store')).toEqual({ maxAge: 0 });
    expect(cacheHintOf('max-age=-5')).toEqual({ maxAge: 0 });
    expect(cacheHintOf(undefined)).toEqual({ maxAge: 0 });
  });
});
