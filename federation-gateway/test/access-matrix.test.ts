/**
 * The access matrix (issue 3): every gRPC method of every service and every GraphQL root field of
 * the supergraph, called as every role, as a service identity and without a token, must get
 * exactly the outcome the design allows. The expectations below are written from the design
 * (DESIGN §4.1, §4.2), independently of the services' own access tables; an operation missing
 * here fails the test, so nothing ships without a declared rule.
 */
import { readFileSync } from 'node:fs';
import { AuditServiceDefinition } from '@core/contracts/audit/v1';
import { IdentityServiceDefinition } from '@core/contracts/identity/v1';
import { MasterDataServiceDefinition, SyncServiceDefinition } from '@core/contracts/masterdata/v1';
import { DEMO_ACCOUNTS, ROLES } from '@core/identity-service';
import { loadMasterDataConfig, startMasterDataService, type MasterDataService } from '@core/master-data-service';
import { createMasterDataSubgraph, type MasterDataSubgraph } from '@core/master-data-subgraph';
import {
  createBearerAuthenticator,
  createGrpcClient,
  createLogger,
  createTokenVerifier,
  fromGrpcError,
  MESH_TOKEN_ALGORITHMS,
} from '@core/platform';
import { createTestDatabase, redisUrl, type TestDatabase } from '@core/testing';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureSource, SCALABLE_TABLES } from '../../grpc-services/master-data/src/data/fixture/index.js';
import { type IdentityStack, startIdentityStack } from '../../subgraphs/identity/test/stack.js';
import { createGateway, type Gateway, supergraphPath } from '../src/index.js';

type Rule = 'public' | 'signed-in' | 'user' | { roles: string[] };
type Outcome = 'allowed' | 'unauthenticated' | 'forbidden';

const SIGNED_IN: Rule = 'signed-in';
const ADMIN: Rule = { roles: ['admin'] };
const DATA_TEAM: Rule = { roles: ['data-team'] };

/** DESIGN §4.2: sign-in, refresh, logout, client credentials and keys are open; the rest is not. */
const IDENTITY_RPCS: Record<string, Rule> = {
  login: 'public',
  refreshTokens: 'public',
  logout: 'public',
  issueServiceToken: 'public',
  getJwks: 'public',
  getMe: 'user',
  changePassword: 'user',
  getUser: SIGNED_IN,
  batchGetUsers: SIGNED_IN,
  listUsers: ADMIN,
  createUser: ADMIN,
  updateUser: ADMIN,
  setPassword: ADMIN,
  disableUser: ADMIN,
  enableUser: ADMIN,
  unlockUser: ADMIN,
  createServiceClient: ADMIN,
  listServiceClients: ADMIN,
};

/** DESIGN §4.1 / issue 3: master data reads need any signed-in caller; syncs need the data team. */
const SYNC_RPCS: Record<string, Rule> = {
  triggerSync: DATA_TEAM,
  invalidateCache: DATA_TEAM,
  getSyncRun: SIGNED_IN,
  listSyncRuns: SIGNED_IN,
  getEntityState: SIGNED_IN,
};
/** Every service's audit log is for administrators (issue 3: queryable by admins). */
const AUDIT_RPCS: Record<string, Rule> = { listAuditEvents: ADMIN };

/** Every MasterDataService RPC is a read (the contract has no writes: the mirror follows Oracle). */
const isMasterDataRead = (method: string) => /^(get|batchGet|list)[A-Z]/.test(method);

/** The GraphQL face of the same rules, field by field. */
const GRAPHQL_FIELDS: Record<string, Rule> = {
  'Query.me': 'user',
  'Query.user': SIGNED_IN,
  'Query.users': ADMIN,
  'Query.serviceClients': ADMIN,
  'Query.auditEvents': ADMIN,
  // The typed master-data lookups and pages: reads.
  ...Object.fromEntries(
    [
      'customer', 'customers', 'branch', 'branches', 'region', 'regions', 'employee', 'employees', 'warehouse', 'warehouses',
      'salesItem', 'salesItems', 'salesman', 'salesmen', 'province', 'provinces', 'city', 'cities', 'district', 'districts',
      'subDistrict', 'subDistricts', 'priceListLine', 'priceListLines',
    ].map((field) => [`Query.${field}`, SIGNED_IN]),
  ),
  'Query.entities': SIGNED_IN,
  'Query.record': SIGNED_IN,
  'Query.records': SIGNED_IN,
  'Query.syncRuns': SIGNED_IN,
  'Query.syncRun': SIGNED_IN,
  'Query.entityState': SIGNED_IN,
  'Mutation.login': 'public',
  'Mutation.refreshTokens': 'public',
  'Mutation.logout': 'public',
  'Mutation.changePassword': 'user',
  'Mutation.createUser': ADMIN,
  'Mutation.updateUser': ADMIN,
  'Mutation.setPassword': ADMIN,
  'Mutation.disableUser': ADMIN,
  'Mutation.enableUser': ADMIN,
  'Mutation.unlockUser': ADMIN,
  'Mutation.createServiceClient': ADMIN,
  'Mutation.triggerSync': DATA_TEAM,
  'Mutation.invalidateMasterDataCache': DATA_TEAM,
};
function graphQLRule(coordinate: string): Rule | undefined {
  return GRAPHQL_FIELDS[coordinate];
}

/** Who calls: each demo role, a service identity holding data-team, and nobody. */
interface Principal {
  readonly name: string;
  readonly roles: string[];
  readonly service: boolean;
  readonly token?: string;
}

function expected(rule: Rule, principal: Principal): Outcome {
  if (rule === 'public') return 'allowed';
  if (!principal.token) return 'unauthenticated';
  if (rule === 'signed-in') return 'allowed';
  if (rule === 'user') return principal.service ? 'forbidden' : 'allowed';
  return rule.roles.some((role) => principal.roles.includes(role)) ? 'allowed' : 'forbidden';
}

/** Refusals by the access layer carry these reasons; any other error is the operation itself answering. */
const ACCESS_REFUSALS: Record<string, Outcome> = {
  AUTHENTICATION_REQUIRED: 'unauthenticated',
  INVALID_TOKEN: 'unauthenticated',
  TOKEN_EXPIRED: 'unauthenticated',
  TOKEN_REVOKED: 'unauthenticated',
  ACCOUNT_DISABLED: 'unauthenticated',
  ROLE_REQUIRED: 'forbidden',
  USER_REQUIRED: 'forbidden',
};

const logger = createLogger('access-matrix', { level: 'warn' });
let identity: IdentityStack;
let database: TestDatabase;
let masterData: MasterDataService;
let masterDataSubgraph: MasterDataSubgraph;
let gateway: Gateway;
const principals: Principal[] = [];

beforeAll(async () => {
  // Identity announces revocations over Redis, as deployed; master data below listens there.
  identity = await startIdentityStack('id_matrix', { REDIS_URL: redisUrl() });
  database = await createTestDatabase('md_matrix');
  masterData = await startMasterDataService({
    config: loadMasterDataConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      CACHE_PREFIX: `test:matrix:${process.pid}:${Date.now()}:`,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      SYNC_SCHEDULES_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    }),
    logger,
    // Verifies identity's real tokens, as in production (keys at hand instead of fetched).
    auth: { jwks: identity.service.jwks },
    source: createFixtureSource({ scale: { ...Object.fromEntries(Object.keys(SCALABLE_TABLES).map((table) => [table, 0])), customer: 30, 'price-list': 20 } }),
  });
  masterDataSubgraph = await createMasterDataSubgraph({ grpcAddress: masterData.address, logger, host: '127.0.0.1', port: 0 });
  const verifier = createTokenVerifier({
    issuers: [{ issuer: identity.service.issuer, audience: identity.service.audience, algorithms: [...MESH_TOKEN_ALGORITHMS], jwks: identity.service.jwks }],
  });
  const auth = createBearerAuthenticator({ verifier, logger });
  gateway = await createGateway({
    supergraphSdl: readFileSync(supergraphPath, 'utf8'),
    subgraphUrls: { masterdata: masterDataSubgraph.url, identity: identity.subgraph.url },
    logger,
    host: '127.0.0.1',
    port: 0,
    introspection: true,
    rateLimitPerMinute: 0,
    identify: (req) => auth.authenticateHeader(req.headers.authorization),
  });

  // Real tokens: each demo account signs in; an admin registers a data-team service client.
  for (const account of DEMO_ACCOUNTS) {
    const { tokens } = await identity.grpc.login({ login: account.username, password: account.password });
    principals.push({ name: account.role, roles: [account.role], service: false, token: tokens!.accessToken });
  }
  const admin = principals.find((p) => p.name === 'admin')!;
  const { clientSecret } = await identity.grpc.createServiceClient(
    { clientId: 'matrix-sync-job', displayName: 'Matrix sync job', roles: ['data-team'] },
    { metadata: new Metadata({ authorization: `Bearer ${admin.token}` }) },
  );
  const { accessToken } = await identity.grpc.issueServiceToken({ clientId: 'matrix-sync-job', clientSecret });
  principals.push({ name: 'service:data-team', roles: ['data-team'], service: true, token: accessToken });
  principals.push({ name: 'no token', roles: [], service: false });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await masterDataSubgraph?.stop();
  await masterData?.stop();
  await database?.drop();
  await identity?.stop();
});

it('covers every role of the identity service', () => {
  expect(principals.map((p) => p.name)).toEqual(expect.arrayContaining([...ROLES]));
});

/** Calls every method of a service definition with an empty request as each principal. */
async function grpcMatrix(
  definition: { methods: Record<string, unknown> },
  address: string,
  rules: (method: string) => Rule | undefined,
): Promise<{ undeclared: string[]; mismatches: string[]; calls: number }> {
  const undeclared: string[] = [];
  const mismatches: string[] = [];
  let calls = 0;
  const { client, close } = createGrpcClient(definition as never, address, { retries: 0 });
  try {
    for (const method of Object.keys(definition.methods)) {
      const rule = rules(method);
      if (!rule) {
        undeclared.push(method);
        continue;
      }
      for (const principal of principals) {
        const metadata = new Metadata(principal.token ? { authorization: `Bearer ${principal.token}` } : {});
        let outcome: Outcome = 'allowed';
        try {
          calls++;
          await (client as Record<string, (request: object, options: object) => Promise<unknown>>)[method]!({}, { metadata });
        } catch (err) {
          // INTERNAL, UNKNOWN and other non-domain failures are defects whatever the rule.
          const domain = fromGrpcError(err);
          if (!domain) {
            mismatches.push(`${method} as ${principal.name}: ${String(err)}`);
            continue;
          }
          outcome = ACCESS_REFUSALS[domain.reason] ?? 'allowed';
        }
        const want = expected(rule, principal);
        if (outcome !== want) mismatches.push(`${method} as ${principal.name}: expected ${want}, got ${outcome}`);
      }
    }
  } finally {
    close();
  }
  return { undeclared, mismatches, calls };
}

describe('gRPC methods × callers', () => {
  it('IdentityService', async () => {
    const result = await grpcMatrix(IdentityServiceDefinition, identity.service.address, (m) => IDENTITY_RPCS[m]);
    expect(result.undeclared).toEqual([]);
    expect(result.mismatches).toEqual([]);
    expect(result.calls).toBe(Object.keys(IdentityServiceDefinition.methods).length * principals.length);
  });

  it('MasterDataService', async () => {
    const result = await grpcMatrix(MasterDataServiceDefinition, masterData.address, (m) => (isMasterDataRead(m) ? SIGNED_IN : undefined));
    expect(result.undeclared).toEqual([]);
    expect(result.mismatches).toEqual([]);
  });

  it('AuditService on identity and on master data', async () => {
    for (const address of [identity.service.address, masterData.address]) {
      const result = await grpcMatrix(AuditServiceDefinition, address, (m) => AUDIT_RPCS[m]);
      expect(result.undeclared).toEqual([]);
      expect(result.mismatches).toEqual([]);
    }
  });

  it('SyncService', async () => {
    const result = await grpcMatrix(SyncServiceDefinition, masterData.address, (m) => SYNC_RPCS[m]);
    expect(result.undeclared).toEqual([]);
    expect(result.mismatches).toEqual([]);
  });
});

/** A literal for an argument of `type`: the smallest value that parses. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'Float':
        return '1';
      case 'Boolean':
        return 'false';
      case 'ID':
        return '"1"';
      case 'DateTime':
        return '"2026-01-01T00:00:00Z"';
      default:
        return '"x"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

/** `{ field(requiredArgs) { __typename } }` — the least an operation can ask of a field. */
function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  let args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  // A lookup by one of several keys (customer(id | number)) needs one of them to be a lookup at all.
  if (args.length === 0 && field.args.length > 0 && !getNamedType(field.type).name.endsWith('Connection')) args = [field.args[0]!];
  const argText = args.length > 0 ? `(${args.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `${kind} { ${field.name}${argText}${selection} }`;
}

describe('GraphQL root fields × callers, through the gateway', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
    });
    schema = buildClientSchema(((await response.json()) as { data: never }).data);
  });

  it('gives every field exactly the outcome its rule allows', async () => {
    const undeclared: string[] = [];
    const mismatches: string[] = [];
    for (const [kind, type] of [['query', schema.getQueryType()!], ['mutation', schema.getMutationType()!]] as const) {
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        const rule = graphQLRule(coordinate);
        if (!rule) {
          undeclared.push(coordinate);
          continue;
        }
        const query = operationFor(kind, field);
        for (const principal of principals) {
          const response = await fetch(gateway.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(principal.token ? { authorization: `Bearer ${principal.token}` } : {}) },
            body: JSON.stringify({ query }),
          });
          const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string; reason?: string } }[] };
          let outcome: Outcome = 'allowed';
          for (const error of body.errors ?? []) {
            const refusal = ACCESS_REFUSALS[error.extensions?.reason ?? ''];
            if (refusal) outcome = refusal;
            if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') mismatches.push(`${query} as ${principal.name}: internal error ${error.message}`);
          }
          const want = expected(rule, principal);
          if (outcome !== want) mismatches.push(`${query} as ${principal.name}: expected ${want}, got ${outcome} ${JSON.stringify(body.errors ?? [])}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
    expect(mismatches).toEqual([]);
  }, 120_000);
});

describe('revocation across services', () => {
  it('a disabled user\'s live token is refused by master data at once, directly and through the gateway', async () => {
    const admin = principals.find((p) => p.name === 'admin')!;
    const asAdmin = { metadata: new Metadata({ authorization: `Bearer ${admin.token}` }) };
    const { user } = await identity.grpc.createUser(
      { username: 'matrix.revoked', name: 'Matrix Revoked', roles: ['amo'], password: 'matrix-revoked-pass' },
      asAdmin,
    );
    const { tokens } = await identity.grpc.login({ login: 'matrix.revoked', password: 'matrix-revoked-pass' });
    const bearer = `Bearer ${tokens!.accessToken}`;
    const { client, close } = createGrpcClient(SyncServiceDefinition, masterData.address, { retries: 0 });
    try {
      await client.getEntityState({ entity: 'region' }, { metadata: new Metadata({ authorization: bearer }) });
      await identity.grpc.disableUser({ id: user!.id }, asAdmin);
      // Announced over Redis pub/sub: allow the message a moment to arrive.
      let reason: string | undefined;
      for (let attempt = 0; attempt < 50 && reason === undefined; attempt++) {
        try {
          await client.getEntityState({ entity: 'region' }, { metadata: new Metadata({ authorization: bearer }) });
          await new Promise((resolve) => setTimeout(resolve, 20));
        } catch (err) {
          reason = fromGrpcError(err)?.reason;
        }
      }
      expect(reason).toBe('TOKEN_REVOKED');
    } finally {
      close();
    }
    // The gateway's own verifier here has no revocation list, so the request reaches master data,
    // which refuses it.
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer },
      body: JSON.stringify({ query: '{ region(code: "JBK") { name } }' }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string; reason?: string } }[] };
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
  });
});
