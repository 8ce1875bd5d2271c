import { readFileSync } from 'node:fs';
import { createBearerAuthenticator, createLogger, createTokenVerifier } from '@core/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityStack, startIdentityStack } from '../../subgraphs/identity/test/stack.js';
import { type Data, type MasterDataStack, postGraphQL, startMasterDataStack } from '../../subgraphs/master-data/test/stack.js';
import { createGateway, type Gateway, supergraphPath } from '../src/index.js';

const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const logger = createLogger('gateway-test', { level: 'warn' });
let stack: MasterDataStack;
let identity: IdentityStack;
let gateway: Gateway;

beforeAll(async () => {
  stack = await startMasterDataStack('md_gateway');
  // Every subgraph of the supergraph must answer for the gateway to be ready.
  identity = await startIdentityStack('id_gateway');
  const auth = createBearerAuthenticator({ verifier: createTokenVerifier({ issuers: [stack.issuer.trusted] }), logger });
  gateway = await createGateway({
    supergraphSdl,
    subgraphUrls: { masterdata: stack.subgraph.url, identity: identity.subgraph.url },
    logger,
    host: '127.0.0.1',
    port: 0,
    identify: (req) => auth.authenticateHeader(req.headers.authorization),
  });
}, 240_000);

/** One operation through the gateway, as a signed-in data-team member unless `headers` say otherwise. */
const gql = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  postGraphQL(gateway.url, query, variables, headers ?? stack.auth);

afterAll(async () => {
  await gateway?.stop();
  await identity?.stop();
  await stack?.stop();
});

const endpoint = (path: string) => gateway.url.replace(/\/graphql$/, path);

describe('federation gateway over the master-data subgraph and service', () => {
  it('answers the customer page query of the issue', async () => {
    const result = await gql(`{ customers(first: 5) { edges { node { code name region { name } } } } }`);
    expect(result.errors).toBeUndefined();

    const { customers } = await stack.grpc.listCustomers({ pageSize: 5 });
    const expected = [];
    for (const customer of customers) {
      const { branch } = await stack.grpc.getBranch({ id: customer.branchId });
      const { region } = await stack.grpc.getRegion({ code: branch!.regionCode });
      expected.push({ node: { code: customer.number, name: customer.name, region: { name: region!.name } } });
    }
    expect(result.data!.customers.edges).toEqual(expected);
  });

  it('pages with after: consecutive pages continue where the previous ended', async () => {
    const page = `query Page($after: String) {
      customers(first: 3, after: $after) { edges { cursor node { code } } pageInfo { hasNextPage endCursor } }
    }`;
    const first = await gql(page);
    const { endCursor, hasNextPage } = first.data!.customers.pageInfo;
    expect(hasNextPage).toBe(true);
    expect(first.data!.customers.edges[2].cursor).toBe(endCursor);
    const second = await gql(page, { after: endCursor });
    const codes = [...first.data!.customers.edges, ...second.data!.customers.edges].map((e: Data) => e.node.code);
    const { customers } = await stack.grpc.listCustomers({ pageSize: 6 });
    expect(codes).toEqual(customers.map((c) => c.number));
  });

  it('finds a customer by number', async () => {
    const [customer] = (await stack.grpc.listCustomers({ pageSize: 1, pageToken: '' })).customers;
    const result = await gql(`query($number: String) { customer(number: $number) { code number name branch { code } } }`, {
      number: customer!.number,
    });
    expect(result.data!.customer).toEqual({
      code: customer!.number,
      number: customer!.number,
      name: customer!.name,
      branch: { code: customer!.branchCode },
    });
  });

  it('carries the client trace context through subgraph and gRPC to the service', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // A rejected call is logged by the service at info level with the trace id it received.
    const result = await gql(`{ customers(first: 2, after: "tampered-token") { edges { node { code } } } }`, undefined, {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      ...stack.auth,
    });
    expect(result.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const logged = stack.serviceLogs().filter((line) => line.traceId === traceId);
    expect(logged).toContainEqual(expect.objectContaining({ method: '/core.masterdata.v1.MasterDataService/ListCustomers' }));
  });

  it('costs the same number of gRPC calls for 100 customers with region as for 10', async () => {
    const page = `query Page($first: Int!) { customers(first: $first) { edges { node { code region { name } } } } }`;
    stack.resetCalls();
    const ten = await gql(page, { first: 10 });
    const callsForTen = stack.calls();
    stack.resetCalls();
    const hundred = await gql(page, { first: 100 });
    const callsForHundred = stack.calls();
    expect(ten.data!.customers.edges).toHaveLength(10);
    expect(hundred.data!.customers.edges).toHaveLength(100);
    expect(callsForTen).toEqual({ listCustomers: 1, batchGetBranches: 1, batchGetRegions: 1 });
    expect(callsForHundred).toEqual(callsForTen);
  });

  it('keeps the subgraph error code: BAD_USER_INPUT for a bad page size and for an unknown entity', async () => {
    const pageSize = await gql(`{ customers(first: 5000) { edges { node { code } } } }`);
    expect(pageSize.errors).toHaveLength(1);
    expect(pageSize.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'PAGE_SIZE_OUT_OF_RANGE',
      fieldViolations: [expect.objectContaining({ field: 'first' })],
    });
    const entity = await gql(`{ records(entity: "no-such-view", first: 5) { edges { node { key } } } }`);
    expect(entity.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_ENTITY' });
    expect(entity.errors![0]!.message).not.toMatch(/internal/i);
  });

  it('is live and ready while the subgraph answers, and not ready when a subgraph is down', async () => {
    expect((await fetch(endpoint('/health/live'))).status).toBe(200);
    expect((await fetch(endpoint('/health/ready'))).status).toBe(200);

    const orphan = await createGateway({
      supergraphSdl,
      subgraphUrls: { masterdata: 'http://127.0.0.1:9/graphql', identity: identity.subgraph.url },
      logger,
      host: '127.0.0.1',
      port: 0,
      readinessTimeoutMs: 500,
    });
    try {
      const orphanEndpoint = (path: string) => orphan.url.replace(/\/graphql$/, path);
      expect((await fetch(orphanEndpoint('/health/live'))).status).toBe(200);
      expect((await fetch(orphanEndpoint('/health/ready'))).status).toBe(503);
      const unavailable = await postGraphQL(orphan.url, `{ region(code: "JBK") { name } }`, undefined, stack.auth);
      expect(unavailable.errors).toBeDefined();
      // The subgraph's internal address never reaches the client.
      expect(JSON.stringify(unavailable.errors)).not.toContain('127.0.0.1:9');
    } finally {
      await orphan.stop();
    }
  });

  it('counts requests by operation name and outcome in /metrics', async () => {
    await gql(`query RegionLookup { region(code: "JBK") { name } }`);
    await gql(`query BrokenPage { customers(first: 0) { edges { node { code } } } }`);
    const response = await fetch(endpoint('/metrics'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/graphql_requests_total\{operation="RegionLookup",outcome="success"\} 1/);
    expect(text).toMatch(/graphql_requests_total\{operation="BrokenPage",outcome="error"\} 1/);
    expect(text).toMatch(/graphql_request_duration_seconds_count\{operation="RegionLookup",outcome="success"\} 1/);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over 1 MiB, declared or streamed, and 400 BAD_REQUEST for malformed JSON', async () => {
    const oversized = JSON.stringify({ query: `{ region(code: "JBK") { name } }`, variables: { padding: 'x'.repeat(1024 * 1024) } });
    const declared = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: oversized });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ errors: [{ message: 'request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });

    // Without content-length (chunked), the limit applies while reading.
    const bytes = new TextEncoder().encode(oversized);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 64 * 1024) controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as Data).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    const malformed = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Data).errors[0].extensions.code).toBe('BAD_REQUEST');

    // The gateway still serves the next request normally.
    const after = await gql(`{ region(code: "JBK") { name } }`);
    expect(after.errors).toBeUndefined();
  });

  it('verifies the bearer token before any subgraph is called, and passes a valid one on', async () => {
    const query = `{ region(code: "JBK") { name } }`;
    const refusals: [string, string, string][] = [
      ['garbage', 'Bearer not-a-jwt', 'INVALID_TOKEN'],
      ['expired', await stack.issuer.bearer(['amo'], { ttlSeconds: -300 }), 'TOKEN_EXPIRED'],
      ['wrong audience', await stack.issuer.bearer(['amo'], { aud: 'someone-else' }), 'INVALID_TOKEN'],
      ['not bearer', 'Basic YTpi', 'INVALID_TOKEN'],
    ];
    for (const [name, authorization, reason] of refusals) {
      stack.resetCalls();
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query }),
      });
      expect([name, response.status, response.headers.get('www-authenticate')]).toEqual([name, 401, 'Bearer']);
      const body = (await response.json()) as Data;
      expect(body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
      expect(stack.calls()).toEqual({});
    }
    // No token at all reaches the subgraph as anonymous, and the service refuses it.
    const anonymous = await gql(query, undefined, {});
    expect(anonymous.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTHENTICATION_REQUIRED' });
    const reader = await gql(query, undefined, { authorization: await stack.issuer.bearer(['amo']) });
    expect(reader.errors).toBeUndefined();
  });

  it('rejects subgraph URL overrides for subgraphs the supergraph does not have', async () => {
    await expect(
      createGateway({ supergraphSdl, subgraphUrls: { vouchers: 'http://127.0.0.1:1/graphql' }, logger, port: 0, host: '127.0.0.1' }),
    ).rejects.toThrow(/vouchers/);
  });
});
