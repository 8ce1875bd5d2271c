import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createMetrics, createRedis, type Redis, redisReady, unauthenticated } from '@core/platform';
import { redisUrl, startTcpProxy, testLogger, uniquePrefix } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { createGateway, type Gateway, type GatewayOptions, supergraphPath } from '../src/index.js';
import { type GatewayProcess, startGatewayProcess } from './gateway-process.js';
import { postQuery, send } from './http-client.js';
import { type StubSubgraph, startStubSubgraph } from './stub-subgraph.js';

/** Every gateway configuration names identity's JWKS (required at start). */
const AUTH = { AUTH_JWKS_URL: 'http://identity:9465/.well-known/jwks.json' };

const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const logger = testLogger('gateway-edge-test');
const REGION = '{ region(code: "JBK") { name } }';
let subgraph: StubSubgraph;
let redis: Redis;
const gateways: Gateway[] = [];

beforeAll(async () => {
  subgraph = await startStubSubgraph();
  redis = createRedis(redisUrl(), logger);
  expect(await redisReady(redis)).toBe(true);
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  redis?.disconnect();
  await subgraph?.close();
});

/** A gateway whose every subgraph is the stub; stopped after the file. */
async function startGateway(options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const gateway = await createGateway({
    supergraphSdl,
    subgraphUrls: { masterdata: subgraph.url, identity: subgraph.url },
    logger,
    host: '127.0.0.1',
    port: 0,
    ...options,
  });
  gateways.push(gateway);
  return gateway;
}

const endpoint = (gateway: { url: string }, path: string) => gateway.url.replace(/\/graphql$/, path);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `n` sequential region queries; their statuses. */
async function burst(url: string, n: number, options: Parameters<typeof postQuery>[2] = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await postQuery(url, { query: REGION }, options)).status);
  return statuses;
}

describe('extra routes', () => {
  it('serves an extra exact path beside /graphql, and 404 for its sub-paths', async () => {
    const gateway = await startGateway({
      routes: {
        '/uploads': async (req, res) => {
          res.writeHead(201, { 'content-type': 'text/plain' }).end(`${req.method} uploaded\n`);
        },
      },
    });
    const upload = await send(endpoint(gateway, '/uploads?x=1'), { method: 'POST', body: 'x' });
    expect(upload.status).toBe(201);
    expect(upload.text).toBe('POST uploaded\n');
    expect((await send(endpoint(gateway, '/uploads/other'))).status).toBe(404);
    expect((await postQuery(gateway.url, { query: REGION })).json()).toEqual({ data: { region: { name: 'Stub' } } });
  });
});

describe('rate limiting', () => {
  it('answers the 61st request of a minute from one client 429 with Retry-After and RATE_LIMITED; another client is unaffected', async () => {
    const metrics = createMetrics();
    const gateway = await startGateway({ metrics });
    const first = await burst(gateway.url, 60);
    expect(first.every((status) => status === 200)).toBe(true);

    const refused = await postQuery(gateway.url, { query: REGION });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.json()).toEqual({
      errors: [{ message: expect.stringMatching(/rate limit of 60 requests per minute/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter } }],
    });

    // A client connecting from another address has its own budget.
    expect(await burst(gateway.url, 3, { localAddress: '127.0.0.2' })).toEqual([200, 200, 200]);
    // Probes and metrics are never limited.
    expect((await send(endpoint(gateway, '/health/live'))).status).toBe(200);
    expect((await send(endpoint(gateway, '/health/ready'))).status).toBe(200);
    const text = (await send(endpoint(gateway, '/metrics'))).text;
    expect(text).toMatch(/gateway_refused_requests_total\{reason="rate_limited"\} 1/);
  });

  it('counts extra routes against the same budget', async () => {
    const gateway = await startGateway({
      rateLimitPerMinute: 3,
      routes: { '/uploads': async (_req, res) => void res.writeHead(201).end() },
    });
    expect(await burst(gateway.url, 2)).toEqual([200, 200]);
    expect((await send(endpoint(gateway, '/uploads'), { method: 'POST' })).status).toBe(201);
    expect((await send(endpoint(gateway, '/uploads'), { method: 'POST' })).status).toBe(429);
    expect(await burst(gateway.url, 1)).toEqual([429]);
  });

  it('keys on the verified subject when identify gives one, else on the address', async () => {
    const identify = async (req: IncomingMessage) => {
      const subject = req.headers['x-test-subject'];
      return typeof subject === 'string' ? { subject } : undefined;
    };
    const gateway = await startGateway({ rateLimitPerMinute: 2, identify });
    const alice = { headers: { 'x-test-subject': 'alice' } };
    expect(await burst(gateway.url, 3, alice)).toEqual([200, 200, 429]);
    // Same address, another subject: its own budget; anonymous requests have the address's.
    expect(await burst(gateway.url, 2, { headers: { 'x-test-subject': 'bob' } })).toEqual([200, 200]);
    expect(await burst(gateway.url, 3)).toEqual([200, 200, 429]);
  });

  it('answers 401 with WWW-Authenticate when identify refuses the credentials, counting the attempt', async () => {
    const identify = async (req: IncomingMessage) => {
      if (req.headers.authorization === 'Bearer forged') throw unauthenticated('INVALID_TOKEN', 'the bearer token is not valid');
      return undefined;
    };
    const gateway = await startGateway({ rateLimitPerMinute: 2, identify });
    const forged = { headers: { authorization: 'Bearer forged' } };
    const denied = await postQuery(gateway.url, { query: REGION }, forged);
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer');
    expect(denied.json().errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_TOKEN' });
    expect(await burst(gateway.url, 2, forged)).toEqual([401, 429]);
  });

  it('ignores a client-written X-Forwarded-For unless proxies are trusted, then keys on the client the proxy saw', async () => {
    const untrusting = await startGateway({ rateLimitPerMinute: 2 });
    // Rotating X-Forwarded-For does not buy a new budget.
    const spoofed = await Promise.all([1, 2, 3].map((i) => postQuery(untrusting.url, { query: REGION }, { headers: { 'x-forwarded-for': `10.0.0.${i}` } })));
    expect(spoofed.map((r) => r.status).sort()).toEqual([200, 200, 429]);

    const behindProxy = await startGateway({ rateLimitPerMinute: 2, trustProxyHops: 1 });
    const viaProxy = (client: string) => ({ headers: { 'x-forwarded-for': `6.6.6.6, ${client}` } });
    expect(await burst(behindProxy.url, 3, viaProxy('203.0.113.1'))).toEqual([200, 200, 429]);
    expect(await burst(behindProxy.url, 2, viaProxy('203.0.113.2'))).toEqual([200, 200]);
  });

  it('turns off with a limit of 0', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const statuses = await burst(gateway.url, 70);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('keeps limiting per process when Redis goes down, and says so in the metrics', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(redisUrl()).port || 6379));
    const flaky = createRedis(`redis://127.0.0.1:${proxy.port}`, logger);
    try {
      expect(await redisReady(flaky)).toBe(true);
      const metrics = createMetrics();
      const gateway = await startGateway({ rateLimitPerMinute: 3, redis: flaky, redisKeyPrefix: uniquePrefix('gw-outage'), metrics });
      expect(await burst(gateway.url, 1)).toEqual([200]);
      proxy.cut();
      expect(await burst(gateway.url, 4)).toEqual([200, 200, 200, 429]);
      const text = (await send(endpoint(gateway, '/metrics'))).text;
      expect(text).toMatch(/rate_limit_store_errors_total\{limiter="test:gw-outage:[^"]+rate"\} 4/);
    } finally {
      flaky.disconnect();
      await proxy.close();
    }
  });
});

describe('rate-limit connection', () => {
  /** Names of this Redis server's client connections. */
  const clientNames = async () =>
    String(await redis.client('LIST'))
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '');

  it('counts on a connection of its own, named after the key prefix, closed on stop and when the gateway cannot listen', async () => {
    const redisKeyPrefix = uniquePrefix('gw-conn');
    const name = `${redisKeyPrefix}rate-limiter`;
    const gateway = await createGateway({ supergraphSdl, subgraphUrls: { masterdata: subgraph.url, identity: subgraph.url }, logger, host: '127.0.0.1', port: 0, redis, redisKeyPrefix });
    expect(await clientNames()).toContain(name);
    expect(await burst(gateway.url, 2)).toEqual([200, 200]);
    expect(await redis.get(`${redisKeyPrefix}rate:ip:127.0.0.1`)).toBe('2');

    // A second gateway on the same port fails to start and must not leave its connection open.
    const refused = createGateway({ supergraphSdl, subgraphUrls: { masterdata: subgraph.url, identity: subgraph.url }, logger, host: '127.0.0.1', port: gateway.port, redis, redisKeyPrefix: `${redisKeyPrefix}b:` });
    await expect(refused).rejects.toThrow(/EADDRINUSE/);
    await gateway.stop();
    for (let i = 0; i < 20 && (await clientNames()).some((n) => n.startsWith(redisKeyPrefix)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await clientNames()).filter((n) => n.startsWith(redisKeyPrefix))).toEqual([]);
    await redis.del(`${redisKeyPrefix}rate:ip:127.0.0.1`);
  });
});

describe('rate limiting across two gateway processes sharing Redis', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  const prefix = uniquePrefix('gw-procs');
  beforeAll(async () => {
    const env = {
      REDIS_URL: redisUrl(),
      GATEWAY_REDIS_PREFIX: prefix,
      SUPERGRAPH_PATH: supergraphPath,
      SUBGRAPH_MASTERDATA_URL: subgraph.url,
      SUBGRAPH_IDENTITY_URL: subgraph.url,
      RATE_LIMIT_PER_MINUTE: '60',
    };
    [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('lets one client make 60 requests a minute in total, whichever process answers', async () => {
    const statuses = [...(await burst(a.url, 30)), ...(await burst(b.url, 30))];
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const refusedByA = await postQuery(a.url, { query: REGION });
    const refusedByB = await postQuery(b.url, { query: REGION });
    expect([refusedByA.status, refusedByB.status]).toEqual([429, 429]);
    expect(Number(refusedByB.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refusedByB.json().errors[0].extensions.code).toBe('RATE_LIMITED');
    // Another client still gets through both.
    expect(await burst(a.url, 1, { localAddress: '127.0.0.3' })).toEqual([200]);
    expect(await burst(b.url, 1, { localAddress: '127.0.0.3' })).toEqual([200]);
    expect(await redis.exists(`${prefix}rate:ip:127.0.0.1`)).toBe(1);
  });

  it('shares persisted queries: registered through one process, served by hash through the other', async () => {
    const query = '{ region(code: "SBY") { name } }';
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    const fromB = { localAddress: '127.0.0.4' };
    const unknown = await postQuery(b.url, { extensions: { persistedQuery } }, fromB);
    expect(unknown.json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await postQuery(a.url, { query, extensions: { persistedQuery } }, fromB);
    expect(registered.json()).toEqual({ data: { region: { name: 'Stub' } } });
    // Apollo registers without awaiting the write; give it a moment to land.
    for (let i = 0; i < 20 && (await redis.exists(`${prefix}apq:apq:${persistedQuery.sha256Hash}`)) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const byHash = await postQuery(b.url, { extensions: { persistedQuery } }, fromB);
    expect(byHash.json()).toEqual({ data: { region: { name: 'Stub' } } });
  });
});

describe('query limits', () => {
  let gateway: Gateway;
  let metricsText: () => Promise<string>;
  beforeAll(async () => {
    gateway = await startGateway({ rateLimitPerMinute: 0 });
    metricsText = async () => (await send(endpoint(gateway, '/metrics'))).text;
  });

  // The classic deep introspection probe: valid against any schema, 11 levels.
  const deep = `{ __type(name: "Customer") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`;
  const aliased = `{ ${Array.from({ length: 16 }, (_, i) => `r${i}: region(code: "JBK") { name }`).join(' ')} }`;
  const costly = `{ customers(first: 500) { edges { node { code name branch { code name region { code name } } region { code name } } } } ${Array.from({ length: 12 }, (_, i) => `c${i}: customers(first: 500) { edges { node { code name number } } }`).join(' ')} }`;
  const directives = `{ region(code: "JBK") { name ${Array.from({ length: 51 }, () => '@include(if: true)').join(' ')} } }`;
  const tokens = `{ region(code: "JBK") { ${Array.from({ length: 5_000 }, () => 'name').join(' ')} } }`;

  it.each([
    ['depth', 'QUERY_TOO_DEEP', 10, deep],
    ['aliases', 'TOO_MANY_ALIASES', 15, aliased],
    ['cost', 'QUERY_TOO_COSTLY', 100_000, costly],
    ['directives', 'TOO_MANY_DIRECTIVES', 50, directives],
    ['tokens', 'TOO_MANY_TOKENS', 5_000, tokens],
  ])('refuses a document over the %s limit with 400 %s (limit %i) before any subgraph is called', async (reason, code, limit, query) => {
    const before = subgraph.requests.length;
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answer = await postQuery(gateway.url, { query }, { headers: { accept } });
      expect(answer.status).toBe(400);
      const body = answer.json();
      expect(body.data).toBeUndefined();
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions).toEqual({ code, limit });
      expect(body.errors[0].message).toMatch(/limit/i);
    }
    expect(subgraph.requests.length).toBe(before);
    expect(await metricsText()).toMatch(new RegExp(`gateway_refused_requests_total\\{reason="${reason}"\\} 2`));
  });

  it('refuses a hostile document again when it is repeated (no cached pass)', async () => {
    const first = await postQuery(gateway.url, { query: aliased });
    const second = await postQuery(gateway.url, { query: aliased });
    expect([first.status, second.status]).toEqual([400, 400]);
    expect(second.json().errors[0].extensions.code).toBe('TOO_MANY_ALIASES');
  });

  it('lets a full page of customers with a dozen fields, nested branch and region through', async () => {
    const page = `{ customers(first: 500) { edges { cursor node { id code number name updatedAt branch { code name region { code name } } region { code name } } } pageInfo { hasNextPage endCursor } } }`;
    const before = subgraph.requests.length;
    const answer = await postQuery(gateway.url, { query: page });
    // The stub has no customers; what matters is that the gateway planned and called the subgraph.
    expect(answer.json().errors?.[0]?.extensions?.code).not.toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.json().errors?.map((e: { extensions: { code: string } }) => e.extensions.code) ?? []).not.toContain('QUERY_TOO_COSTLY');
    expect(subgraph.requests.length).toBe(before + 1);
  });

  it('takes its limits from options, refusing an otherwise valid subgraph query', async () => {
    const strict = await startGateway({ rateLimitPerMinute: 0, limits: { maxDepth: 2 } });
    const answer = await postQuery(strict.url, { query: REGION });
    expect(answer.status).toBe(200);
    const before = subgraph.requests.length;
    const deeper = await postQuery(strict.url, { query: '{ customer(number: "1") { branch { code } } }' });
    expect(deeper.status).toBe(400);
    expect(deeper.json().errors[0]).toMatchObject({ message: 'Query depth limit of 2 exceeded, found 3.', extensions: { code: 'QUERY_TOO_DEEP', limit: 2 } });
    expect(subgraph.requests.length).toBe(before);
  });
});

describe('request body limit', () => {
  it('answers 413 PAYLOAD_TOO_LARGE over the configured size and counts it', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0, maxBodyBytes: 2_048 });
    const small = await postQuery(gateway.url, { query: REGION, variables: { padding: 'x'.repeat(1_500) } });
    expect(small.status).toBe(200);
    const large = await postQuery(gateway.url, { query: REGION, variables: { padding: 'x'.repeat(2_100) } });
    expect(large.status).toBe(413);
    expect(large.json().errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await send(endpoint(gateway, '/metrics'))).text).toMatch(/gateway_refused_requests_total\{reason="body_too_large"\} 1/);
  });
});

describe('CORS', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ rateLimitPerMinute: 0, corsOrigins: ['https://app.example.com', 'http://localhost:5173'] });
  });

  it('answers an allowed origin with its own origin, credentials and Vary: Origin', async () => {
    const answer = await postQuery(gateway.url, { query: REGION }, { headers: { origin: 'https://app.example.com' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(answer.headers['access-control-allow-credentials']).toBe('true');
    expect(answer.headers.vary).toMatch(/origin/i);
  });

  it('gives a disallowed origin no CORS header (the browser withholds the answer)', async () => {
    const answer = await postQuery(gateway.url, { query: REGION }, { headers: { origin: 'https://evil.example.net' } });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    expect(answer.headers.vary).toMatch(/origin/i);
  });

  it('answers preflights: allowed with methods, headers and max-age; disallowed without CORS headers; neither reaches GraphQL', async () => {
    const preflight = (origin: string) =>
      send(gateway.url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect(allowed.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(allowed.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(allowed.headers['access-control-allow-headers']).toMatch(/content-type/);
    expect(Number(allowed.headers['access-control-max-age'])).toBeGreaterThan(0);

    const denied = await preflight('https://evil.example.net');
    expect(denied.status).toBe(204);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(denied.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('sends no CORS headers at all when no origin is configured', async () => {
    const closed = await startGateway({ rateLimitPerMinute: 0 });
    const answer = await postQuery(closed.url, { query: REGION }, { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('automatic persisted queries', () => {
  const query = '{ region(code: "MDN") { name } }';
  const persistedQuery = { version: 1, sha256Hash: sha256(query) };

  it('in process: hash unknown, then registered, then served by hash alone', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const unknown = await postQuery(gateway.url, { extensions: { persistedQuery } });
    expect(unknown.status).toBe(200);
    expect(unknown.json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await postQuery(gateway.url, { query, extensions: { persistedQuery } })).json()).toEqual({ data: { region: { name: 'Stub' } } });
    expect((await postQuery(gateway.url, { extensions: { persistedQuery } })).json()).toEqual({ data: { region: { name: 'Stub' } } });
    // GET by hash works too (what CDN-friendly clients send).
    const url = new URL(gateway.url);
    url.searchParams.set('extensions', JSON.stringify({ persistedQuery }));
    expect((await send(url.toString())).json()).toEqual({ data: { region: { name: 'Stub' } } });
  });

  it('in Redis: survives into another gateway instance sharing the store, with the configured TTL', async () => {
    const redisKeyPrefix = uniquePrefix('gw-apq');
    const first = await startGateway({ rateLimitPerMinute: 0, redis, redisKeyPrefix, apqTtlSeconds: 600 });
    const second = await startGateway({ rateLimitPerMinute: 0, redis, redisKeyPrefix });
    expect((await postQuery(second.url, { extensions: { persistedQuery } })).json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await postQuery(first.url, { query, extensions: { persistedQuery } });
    const key = `${redisKeyPrefix}apq:apq:${persistedQuery.sha256Hash}`;
    for (let i = 0; i < 20 && (await redis.exists(key)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await redis.get(key)).toBe(query);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    await first.stop();
    expect((await postQuery(second.url, { extensions: { persistedQuery } })).json()).toEqual({ data: { region: { name: 'Stub' } } });
    await redis.del(key);
    // A text once loaded is kept in process (a hash names one text for good): no round trip needed.
    expect((await postQuery(second.url, { extensions: { persistedQuery } })).json()).toEqual({ data: { region: { name: 'Stub' } } });
  });

  it('refuses a query whose hash does not match', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const answer = await postQuery(gateway.url, { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } } });
    expect(answer.status).toBe(400);
  });
});

describe('introspection and landing page', () => {
  const introspect = '{ __schema { queryType { name } } }';

  it('are off with NODE_ENV=production: __schema is refused, no sandbox page, no field suggestions', async () => {
    const config = loadGatewayConfig({ ...AUTH, NODE_ENV: 'production' });
    expect(config.introspection).toBe(false);
    const gateway = await startGateway({ rateLimitPerMinute: 0, introspection: config.introspection });
    const refused = await postQuery(gateway.url, { query: introspect });
    expect(refused.json().errors[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(refused.json().errors[0].message).toMatch(/introspection/i);
    expect(refused.json().data).toBeUndefined();
    const type = await postQuery(gateway.url, { query: '{ __type(name: "Customer") { name } }' });
    expect(type.json().errors[0].message).toMatch(/introspection/i);
    const page = await send(gateway.url, { headers: { accept: 'text/html' } });
    expect(page.text).not.toMatch(/<html/i);
    const typo = await postQuery(gateway.url, { query: '{ regio(code: "JBK") { name } }' });
    expect(typo.json().errors[0].message).not.toMatch(/did you mean/i);
  });

  it('are on in development', async () => {
    const config = loadGatewayConfig({ ...AUTH });
    expect(config.introspection).toBe(true);
    const gateway = await startGateway({ rateLimitPerMinute: 0, introspection: config.introspection });
    expect((await postQuery(gateway.url, { query: introspect })).json()).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const page = await send(gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
  });
});

describe('client address for subgraphs', () => {
  it('sends the socket address as x-forwarded-for, ignoring the client-written chain, and the user agent', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const before = subgraph.requests.length;
    await postQuery(gateway.url, { query: REGION }, { headers: { 'x-forwarded-for': '6.6.6.6', 'user-agent': 'field-app/2.1' }, localAddress: '127.0.0.5' });
    const [sent] = subgraph.requests.slice(before);
    expect(sent!.headers['x-forwarded-for']).toBe('127.0.0.5');
    expect(sent!.headers['user-agent']).toBe('field-app/2.1');
  });

  it('with trusted proxies, appends the socket address to the trusted part of the incoming chain', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0, trustProxyHops: 1 });
    const before = subgraph.requests.length;
    await postQuery(gateway.url, { query: REGION }, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(subgraph.requests[before]!.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    // What the client wrote before the proxy appended its address is dropped.
    await postQuery(gateway.url, { query: REGION }, { headers: { 'x-forwarded-for': '6.6.6.6, 10.9.9.9, 203.0.113.9' } });
    expect(subgraph.requests[before + 1]!.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');

    const twoHops = await startGateway({ rateLimitPerMinute: 0, trustProxyHops: 2 });
    await postQuery(twoHops.url, { query: REGION }, { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.7' } });
    expect(subgraph.requests[before + 2]!.headers['x-forwarded-for']).toBe('203.0.113.9, 10.0.0.7, 127.0.0.1');
  });
});

describe('gateway configuration of the edge', () => {
  it('reads every edge setting from the environment', () => {
    const config = loadGatewayConfig({ ...AUTH,
      REDIS_URL: 'redis://redis:6379',
      GATEWAY_REDIS_PREFIX: 'gw:',
      RATE_LIMIT_PER_MINUTE: '120',
      TRUST_PROXY: '1',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      MAX_BODY_BYTES: '65536',
      MAX_QUERY_DEPTH: '8',
      MAX_QUERY_ALIASES: '5',
      MAX_QUERY_COST: '1000',
      MAX_QUERY_DIRECTIVES: '10',
      MAX_QUERY_TOKENS: '800',
      APQ_TTL_SECONDS: '3600',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://redis:6379',
      redisKeyPrefix: 'gw:',
      rateLimitPerMinute: 120,
      trustProxyHops: 1,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      maxBodyBytes: 65_536,
      limits: { maxDepth: 8, maxAliases: 5, maxCost: 1000, maxDirectives: 10, maxTokens: 800 },
      apqTtlSeconds: 3600,
    });
  });

  it('defaults to 60 requests a minute, no trusted proxy, no CORS origin, 1 MiB bodies, no Redis', () => {
    expect(loadGatewayConfig({ ...AUTH })).toMatchObject({
      redisUrl: undefined,
      rateLimitPerMinute: 60,
      trustProxyHops: 0,
      corsOrigins: [],
      maxBodyBytes: 1_048_576,
      limits: { maxDepth: 10, maxAliases: 15, maxCost: 100_000, maxDirectives: 50, maxTokens: 5_000 },
    });
  });

  it('refuses bad values, naming each variable', () => {
    const bad = () => loadGatewayConfig({ ...AUTH, RATE_LIMIT_PER_MINUTE: '-1', CORS_ORIGINS: 'app.example.com/path', MAX_QUERY_DEPTH: '0', REDIS_URL: 'localhost' });
    expect(bad).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(bad).toThrow(/CORS_ORIGINS/);
    expect(bad).toThrow(/MAX_QUERY_DEPTH/);
    expect(bad).toThrow(/REDIS_URL/);
  });
});

describe('GraphQL host', () => {
  const json = { accept: 'application/json' };
  const spec = { accept: 'application/graphql-response+json' };

  it('refuses variables that do not fit their types with BAD_USER_INPUT before any subgraph call (400 in the spec media type, 200 in legacy JSON)', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const before = subgraph.requests.length;
    const body = { query: 'query R($c: String!) { region(code: $c) { name } }', variables: { c: { not: 'a string' } } };
    const strict = await postQuery(gateway.url, body, { headers: spec });
    expect(strict.status).toBe(400);
    expect(strict.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const legacy = await postQuery(gateway.url, body, { headers: json });
    expect(legacy.status).toBe(200);
    expect(legacy.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const missing = await postQuery(gateway.url, { query: body.query }, { headers: json });
    expect(missing.json().errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(subgraph.requests.length).toBe(before);
  });

  it('answers a wrong method or media type with its status, the allowed methods and a coded error body', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const put = await send(gateway.url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: REGION }) });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    expect(put.json().errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
    const text = await send(gateway.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: REGION });
    expect(text.status).toBe(415);
    expect(text.json().errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('names parse failures and unknown operations with their codes', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const broken = await postQuery(gateway.url, { query: '{ region(code: "JBK") { name }' }, { headers: spec });
    expect(broken.status).toBe(400);
    expect(broken.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
    // The gateway's own refusals follow the negotiated media type too.
    const deep = '{ customer(number: "1") { branch { region { code } } } }';
    const strict = await startGateway({ rateLimitPerMinute: 0, limits: { maxDepth: 2 } });
    const refused = await postQuery(strict.url, { query: deep }, { headers: spec });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
    expect((await postQuery(strict.url, { query: deep }, { headers: json })).headers['content-type']).toBe('application/json; charset=utf-8');
    expect(broken.json().errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const two = 'query A { region(code: "JBK") { name } } query B { region(code: "BDG") { name } }';
    const unnamed = await postQuery(gateway.url, { query: two }, { headers: json });
    expect(unnamed.json().errors[0]).toMatchObject({ message: expect.stringMatching(/operation name/), extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
    const unknown = await postQuery(gateway.url, { query: two, operationName: 'C' }, { headers: json });
    expect(unknown.json().errors[0]).toMatchObject({ message: 'Unknown operation named "C".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
    expect((await postQuery(gateway.url, { query: two, operationName: 'B' }, { headers: json })).json()).toEqual({ data: { region: { name: 'Stub' } } });
  });

  it('refuses a persisted query of another protocol version or whose text does not match its hash, registering nothing', async () => {
    const gateway = await startGateway({ rateLimitPerMinute: 0 });
    const query = '{ region(code: "SBY") { name } }';
    const version = await postQuery(gateway.url, { query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } } });
    expect(version.status).toBe(400);
    expect(version.json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const wrongHash = sha256(`${query} `);
    const mismatch = await postQuery(gateway.url, { query, extensions: { persistedQuery: { version: 1, sha256Hash: wrongHash } } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json().errors[0]).toMatchObject({ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } });
    const lookup = await postQuery(gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: wrongHash } } });
    expect(lookup.json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    // Only an operation that passes every check is registered: not an invalid one, not a mutation over GET.
    const invalid = '{ region(code: "SBY") { nope } }';
    const persistedQuery = { version: 1, sha256Hash: sha256(invalid) };
    expect((await postQuery(gateway.url, { query: invalid, extensions: { persistedQuery } })).json().errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await postQuery(gateway.url, { extensions: { persistedQuery } })).json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const mutation = 'mutation { logout(refreshToken: "x") }';
    const url = new URL(gateway.url);
    url.searchParams.set('query', mutation);
    url.searchParams.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(mutation) } }));
    expect((await send(url.toString())).status).toBe(405);
    const mutationHash = { persistedQuery: { version: 1, sha256Hash: sha256(mutation) } };
    expect((await postQuery(gateway.url, { extensions: mutationHash })).json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it("answers with the subgraphs' cache hint as cache-control, and no-store when a subgraph gives none", async () => {
    const cached = await startStubSubgraph({ cacheControl: 'max-age=60, public' });
    try {
      const gateway = await startGateway({ rateLimitPerMinute: 0, subgraphUrls: { masterdata: cached.url, identity: cached.url } });
      const answer = await postQuery(gateway.url, { query: REGION });
      expect(answer.json()).toEqual({ data: { region: { name: 'Stub' } } });
      expect(answer.headers['cache-control']).toBe('max-age=60, public');
      expect(answer.headers.vary).toContain('Accept');
      // A signed-in caller's answer is never shared by a cache.
      const signedIn = await postQuery(gateway.url, { query: REGION }, { headers: { authorization: 'Bearer any' } });
      expect(signedIn.headers['cache-control']).toBe('max-age=60, private');
    } finally {
      await cached.close();
    }
    const plain = await startGateway({ rateLimitPerMinute: 0 });
    expect((await postQuery(plain.url, { query: REGION })).headers['cache-control']).toBe('no-store');
  });

  it('counts every answered request by operation and outcome, refused documents as errors', async () => {
    const metrics = createMetrics();
    const gateway = await startGateway({ rateLimitPerMinute: 0, metrics });
    await postQuery(gateway.url, { query: 'query Good { region(code: "JBK") { name } }' });
    await postQuery(gateway.url, { query: 'query Bad { region(code: "JBK") { nope } }', operationName: 'Bad' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/graphql_requests_total\{operation="Good",outcome="success"\} 1/);
    expect(text).toMatch(/graphql_requests_total\{operation="Bad",outcome="error"\} 1/);
  });
});
