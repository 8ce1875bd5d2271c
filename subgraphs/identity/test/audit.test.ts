import { protoDescriptorSet } from '@core/contracts';
import { AuditServiceDefinition } from '@core/contracts/audit/v1';
import { DEMO_ACCOUNTS } from '@core/identity-service';
import {
  createBearerAuthenticator,
  createGrpcServer,
  createMemoryRevocationList,
  createTokenVerifier,
  type GrpcServer,
  initORM,
  MESH_TOKEN_ALGORITHMS,
} from '@core/platform';
import { type AuditEventRow, AuditEventSchema, auditMigration, auditServiceImpl, recordAudit } from '@core/platform/audit';
import { createTestDatabase, type TestDatabase, testLogger } from '@core/testing';
import type { MikroORM } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAuditCursor, encodeAuditCursor, mergeNewestFirst } from '../src/audit/audit-log.js';
import { loadIdentitySubgraphConfig } from '../src/config.js';
import { createIdentitySubgraph, type IdentitySubgraph } from '../src/index.js';
import { type IdentityStack, startIdentityStack } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: response shapes are asserted field by field, not typed
type Data = any;

interface GraphQLResponse {
  data?: Record<string, Data> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, Data> }[];
}

/**
 * A second service with an audit log, built from the same platform pieces every service uses:
 * its own database with the audit migration, AuditService, and verification of identity's tokens.
 */
interface OtherService {
  readonly address: string;
  readonly orm: MikroORM;
  stop(): Promise<void>;
}

async function startOtherService(identity: IdentityStack['service']): Promise<OtherService> {
  const database: TestDatabase = await createTestDatabase('audit_other');
  const logger = testLogger('other-service');
  const orm = await initORM({ url: database.url, entities: [AuditEventSchema], migrations: [auditMigration], logger });
  const verifier = createTokenVerifier({
    issuers: [{ issuer: identity.issuer, audience: identity.audience, algorithms: [...MESH_TOKEN_ALGORITHMS], jwks: identity.jwks }],
    revocations: createMemoryRevocationList(),
  });
  const server: GrpcServer = createGrpcServer({
    name: 'other',
    logger,
    authenticate: createBearerAuthenticator({ verifier, logger }).authenticate,
    descriptorSet: protoDescriptorSet(),
  });
  server.add(AuditServiceDefinition, auditServiceImpl(orm));
  const port = await server.listen('127.0.0.1:0');
  return {
    address: `127.0.0.1:${port}`,
    orm,
    async stop() {
      await server.shutdown(500);
      await orm.close();
      await database.drop();
    },
  };
}

let stack: IdentityStack;
let other: OtherService;
let merged: IdentitySubgraph;
let adminToken: string;
let otherStopped = false;
/** Every seeded event, in the order the merged log must list them. */
let seeded: (AuditEventRow & { source: string })[] = [];

const demo = (role: string) => DEMO_ACCOUNTS.find((account) => account.role === role)!;

async function query(text: string, variables?: Record<string, unknown>, token?: string, headers: Record<string, string> = {}) {
  const response = await fetch(merged.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query: text, variables }),
  });
  return (await response.json()) as GraphQLResponse;
}

async function signIn(role: string): Promise<string> {
  const account = demo(role);
  const result = await query('mutation($l: String!, $p: String!) { login(login: $l, password: $p) { accessToken } }', {
    l: account.username,
    p: account.password,
  });
  expect(result.errors).toBeUndefined();
  return result.data!.login.accessToken;
}

const AUDIT_EVENTS = `query Audit($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id occurredAt service action actor { subject name user { id username } } target { type id }
      outcome failureReason clientAddress userAgent traceId before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Seeds events one millisecond apart in turns, with ties across the services. */
async function seed(): Promise<void> {
  const base = Date.UTC(2026, 10, 1, 8, 0, 0);
  const plan: [string, number][] = [
    ['identity', 0],
    ['other', 1],
    ['identity', 2],
    ['other', 2],
    ['other', 2],
    ['identity', 3],
    ['identity', 5],
    ['other', 5],
    ['other', 6],
    ['identity', 7],
    ['identity', 7],
    ['other', 8],
    ['identity', 9],
  ];
  for (const [source, offset] of plan) {
    const orm = source === 'identity' ? stack.service.orm : other.orm;
    const row = await orm.em.fork().transactional((em) =>
      recordAudit(em, {
        service: source,
        action: 'test.Seeded',
        actorSubject: `seeder-${source}`,
        target: { type: 'thing', id: `${source}-${offset}` },
        occurredAt: new Date(base + offset),
      }),
    );
    seeded.push({ ...row, source });
  }
  seeded = seeded.sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : -1));
}

beforeAll(async () => {
  stack = await startIdentityStack('identity_subgraph_audit');
  other = await startOtherService(stack.service);
  merged = await createIdentitySubgraph({
    grpcAddress: stack.service.address,
    auditSources: [
      { name: 'identity', address: stack.service.address },
      { name: 'other', address: other.address },
    ],
    logger: testLogger('identity-subgraph'),
    host: '127.0.0.1',
    port: 0,
  });
  adminToken = await signIn('admin');
  await seed();
}, 120_000);

afterAll(async () => {
  await merged?.stop();
  if (!otherStopped) await other?.stop();
  await stack?.stop();
});

describe('auditEvents over two services', () => {
  it('pages through both logs newest first, with no duplicates and no gaps', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const result = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded' }, first: 4, after }, adminToken);
      expect(result.errors).toBeUndefined();
      const { edges, pageInfo } = result.data!.auditEvents;
      ids.push(...edges.map((edge: Data) => edge.node.id));
      pages += 1;
      if (!pageInfo.hasNextPage) break;
      expect(pageInfo.endCursor).toBe(edges.at(-1).cursor);
      after = pageInfo.endCursor;
    }
    expect(ids).toEqual(seeded.map((event) => event.id));
    expect(pages).toBe(Math.ceil(seeded.length / 4));
  });

  it('continues after any edge, not only the last', async () => {
    const first = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded' }, first: 5 }, adminToken);
    const middle = first.data!.auditEvents.edges[1].cursor;
    const next = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded' }, first: 5, after: middle }, adminToken);
    expect(next.data!.auditEvents.edges.map((edge: Data) => edge.node.id)).toEqual(seeded.slice(2, 7).map((event) => event.id));
  });

  it('maps each event with the service that recorded it', async () => {
    const result = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded' }, first: 2 }, adminToken);
    const [newest] = result.data!.auditEvents.edges;
    expect(newest.node).toMatchObject({
      id: seeded[0]!.id,
      occurredAt: seeded[0]!.occurredAt.toISOString(),
      service: seeded[0]!.source,
      action: 'test.Seeded',
      actor: { subject: `seeder-${seeded[0]!.source}`, name: null, user: null },
      target: { type: 'thing', id: seeded[0]!.targetId },
      outcome: 'SUCCEEDED',
      failureReason: null,
      before: null,
      after: null,
    });
  });

  it('reads only the services named in filter.services, and other filters reach every service', async () => {
    const onlyOther = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded', services: ['other'] }, first: 100 }, adminToken);
    expect(onlyOther.data!.auditEvents.edges.map((edge: Data) => edge.node.id)).toEqual(
      seeded.filter((event) => event.source === 'other').map((event) => event.id),
    );
    const window = { action: 'test.Seeded', occurredFrom: seeded.at(-3)!.occurredAt.toISOString(), occurredBefore: seeded[2]!.occurredAt.toISOString() };
    const windowed = await query(AUDIT_EVENTS, { filter: window, first: 100 }, adminToken);
    const inWindow = seeded.filter(
      (event) => event.occurredAt >= seeded.at(-3)!.occurredAt && event.occurredAt < seeded[2]!.occurredAt,
    );
    expect(windowed.data!.auditEvents.edges.map((edge: Data) => edge.node.id)).toEqual(inWindow.map((event) => event.id));
  });

  it('shows a mutation made through the graph with its actor, client address and user agent', async () => {
    const created = await query(
      'mutation { createUser(input: { username: "audit.sub", name: "Audit Subgraph", roles: ["md"], password: "subgraph-Pass-1" }) { id } }',
      undefined,
      adminToken,
      { 'x-forwarded-for': '203.0.113.50, 10.1.2.3', 'user-agent': 'graphql-test/1.0' },
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createUser.id;
    const result = await query(AUDIT_EVENTS, { filter: { action: 'identity.CreateUser', targetId: id } }, adminToken);
    expect(result.errors).toBeUndefined();
    const [edge] = result.data!.auditEvents.edges;
    expect(edge.node).toMatchObject({
      service: 'identity',
      actor: { name: 'Demo Administrator', user: { username: 'demo.admin' } },
      target: { type: 'user', id },
      clientAddress: '203.0.113.50',
      userAgent: 'graphql-test/1.0',
      after: { username: 'audit.sub', password: '[REDACTED]' },
    });
    expect(JSON.stringify(result)).not.toContain('subgraph-Pass-1');
  });

  it('is refused without a token and to anyone but an administrator', async () => {
    const anonymous = await query(AUDIT_EVENTS, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const nasional = await query(AUDIT_EVENTS, {}, await signIn('nasional'));
    expect(nasional.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(nasional.data).toBeNull();
  });

  it('answers bad arguments with BAD_USER_INPUT naming the argument, before or from the services', async () => {
    const bad = async (variables: Record<string, unknown>) => {
      const result = await query(AUDIT_EVENTS, variables, adminToken);
      const [error] = result.errors ?? [];
      expect(error?.extensions?.code, JSON.stringify(result.errors)).toBe('BAD_USER_INPUT');
      return (error?.extensions?.fieldViolations ?? []).map((v: { field: string }) => v.field);
    };
    expect(await bad({ first: 0 })).toEqual(['first']);
    expect(await bad({ first: 501 })).toEqual(['first']);
    expect(await bad({ after: 'not-a-cursor' })).toEqual(['after']);
    expect(await bad({ after: Buffer.from('[1,"x"]').toString('base64url') })).toEqual(['after']);
    expect(await bad({ filter: { services: ['nope'] } })).toEqual(['filter.services']);
    expect(await bad({ filter: { services: [] } })).toEqual(['filter.services']);
    expect(await bad({ filter: { occurredFrom: '2026-11-02T00:00:00Z', occurredBefore: '2026-11-01T00:00:00Z' } })).toEqual([
      'filter.occurredBefore',
    ]);
    expect(await bad({ filter: { actorSubject: 'x'.repeat(201), targetId: 'a\u0007b' } })).toEqual(['filter.actorSubject', 'filter.targetId']);
    // Not an instant: refused by the DateTime scalar while the variables are read.
    expect(await bad({ filter: { occurredFrom: 'yesterday' } })).toEqual([]);
  });

  it('fails as UNAVAILABLE rather than answer with gaps when a service cannot be read, unless it is left out', async () => {
    await other.stop();
    otherStopped = true;
    const result = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded' } }, adminToken);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'AUDIT_SOURCE_UNAVAILABLE', metadata: { service: 'other' } });
    const identityOnly = await query(AUDIT_EVENTS, { filter: { action: 'test.Seeded', services: ['identity'] }, first: 100 }, adminToken);
    expect(identityOnly.data!.auditEvents.edges).toHaveLength(seeded.filter((event) => event.source === 'identity').length);
  }, 30_000);
});

describe('merging and cursors', () => {
  const event = (id: string, ms: number) => ({ id, occurTime: new Date(ms) }) as Parameters<typeof encodeAuditCursor>[0];

  it('takes the newest of every answer and knows when more exist', () => {
    const a = { auditEvents: [event('00000000-0000-4000-8000-000000000003', 30), event('00000000-0000-4000-8000-000000000001', 10)], nextPageToken: '' };
    const b = { auditEvents: [event('00000000-0000-4000-8000-000000000002', 30), event('00000000-0000-4000-8000-000000000004', 20)], nextPageToken: '' };
    const page = mergeNewestFirst([a, b], 3);
    expect(page.events.map((e) => e.id.slice(-1))).toEqual(['3', '2', '4']);
    expect(page.hasNextPage).toBe(true);
    expect(mergeNewestFirst([a, b], 4).hasNextPage).toBe(false);
    expect(mergeNewestFirst([a, { ...b, nextPageToken: 'more' }], 4).hasNextPage).toBe(true);
  });

  it('round-trips a position through a cursor', () => {
    const position = decodeAuditCursor(encodeAuditCursor(event('00000000-0000-4000-8000-00000000000a', 1_700_000_000_123)));
    expect(position).toEqual({ occurTime: new Date(1_700_000_000_123), id: '00000000-0000-4000-8000-00000000000a' });
  });
});

describe('AUDIT_SOURCES', () => {
  it('reads name=address pairs and refuses malformed or repeated ones', () => {
    expect(loadIdentitySubgraphConfig({}).AUDIT_SOURCES).toBeUndefined();
    expect(loadIdentitySubgraphConfig({ AUDIT_SOURCES: 'identity=dns:///identity-headless:50052, master-data=10.0.0.5:50051' }).AUDIT_SOURCES).toEqual([
      { name: 'identity', address: 'dns:///identity-headless:50052' },
      { name: 'master-data', address: '10.0.0.5:50051' },
    ]);
    expect(() => loadIdentitySubgraphConfig({ AUDIT_SOURCES: 'identity' })).toThrow(/AUDIT_SOURCES/);
    expect(() => loadIdentitySubgraphConfig({ AUDIT_SOURCES: 'a=x:1,a=y:2' })).toThrow(/twice/);
  });
});
