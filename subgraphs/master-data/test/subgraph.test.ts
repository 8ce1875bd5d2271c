import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Data, FIXTURE_CUSTOMERS, type MasterDataStack, postGraphQL, startMasterDataStack } from './stack.js';

let stack: MasterDataStack;

beforeAll(async () => {
  stack = await startMasterDataStack('md_subgraph');
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

async function query<T = Record<string, Data>>(text: string, variables?: Record<string, unknown>, headers = stack.auth) {
  stack.resetCalls();
  const result = await postGraphQL<T>(stack.subgraph.url, text, variables, headers);
  return { ...result, calls: stack.calls() };
}

describe('master-data subgraph over the real service', () => {
  it('serves a page of customers with branch and region in three gRPC calls, whatever the page size', async () => {
    const page = `query Page($first: Int!) {
      customers(first: $first) { edges { node { code number name branch { code } region { code name } } } }
    }`;
    const small = await query(page, { first: 10 });
    const large = await query(page, { first: 100 });
    expect(small.errors).toBeUndefined();
    expect(large.errors).toBeUndefined();
    expect(small.data!.customers.edges).toHaveLength(10);
    expect(large.data!.customers.edges).toHaveLength(100);
    const expectedCalls = { listCustomers: 1, batchGetBranches: 1, batchGetRegions: 1 };
    expect(small.calls).toEqual(expectedCalls);
    expect(large.calls).toEqual(expectedCalls);

    // Every relation resolved and consistent with the service's own answers.
    const { customers } = await stack.grpc.listCustomers({ pageSize: 100 });
    const branches = (await stack.grpc.batchGetBranches({ ids: [...new Set(customers.map((c) => c.branchId))] })).branches;
    const regionCodes = [...new Set(branches.map((b) => b.regionCode))];
    const regions = (await stack.grpc.batchGetRegions({ codes: regionCodes })).regions;
    const nodes = large.data!.customers.edges.map((e: Data) => e.node);
    expect(nodes.map((n: Data) => n.number)).toEqual(customers.map((c) => c.number));
    for (const [index, node] of nodes.entries()) {
      const customer = customers[index]!;
      const branch = branches.find((b) => b.id === customer.branchId)!;
      const region = regions.find((r) => r.code === branch.regionCode)!;
      expect(node.code).toBe(customer.number);
      expect(node.branch.code).toBe(branch.code);
      expect(node.region).toEqual({ code: region.code, name: region.name });
    }
  });

  it('resolves federation entity references in one BatchGet per entity type and plan step', async () => {
    const { customers } = await stack.grpc.listCustomers({ pageSize: 40 });
    const customerReferences = [
      ...customers.slice(0, 30).map((c) => ({ __typename: 'Customer', id: String(c.id) })),
      ...customers.slice(30).map((c) => ({ __typename: 'Customer', number: c.number })),
      { __typename: 'Customer', id: '987654321987' },
    ];
    const withRegion = await query(
      `query Entities($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Customer { id number name region { code } } }
      }`,
      { representations: customerReferences },
    );
    expect(withRegion.errors).toBeUndefined();
    const entities = withRegion.data!._entities as Data[];
    expect(entities).toHaveLength(customerReferences.length);
    expect(entities.slice(0, 40).map((e) => e.number)).toEqual(customers.map((c) => c.number));
    expect(entities.slice(0, 40).every((e) => typeof e.region.code === 'string')).toBe(true);
    expect(entities[40]).toBeNull();
    // Customers by id and by number share one call; each further level of the plan costs one call.
    expect(withRegion.calls).toEqual({ batchGetCustomers: 1, batchGetBranches: 1, batchGetRegions: 1 });

    const mixed = await query(
      `query Entities($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Branch { code } ... on Region { code name } ... on Province { code } ... on Employee { number }
        }
      }`,
      {
        representations: [
          { __typename: 'Branch', code: 'JAT' },
          { __typename: 'Branch', code: 'SBY' },
          { __typename: 'Branch', id: '999999999' },
          { __typename: 'Region', code: 'JBK' },
          { __typename: 'Region', code: 'JTM' },
        ],
      },
    );
    expect(mixed.errors).toBeUndefined();
    expect(mixed.data!._entities).toEqual([{ code: 'JAT' }, { code: 'SBY' }, null, expect.objectContaining({ code: 'JBK' }), expect.objectContaining({ code: 'JTM' })]);
    expect(mixed.calls).toEqual({ batchGetBranches: 1, batchGetRegions: 1 });
  });

  it('walks the administrative tree from kelurahan to provinsi with one call per level', async () => {
    const result = await query(`{
      subDistricts(first: 50) { edges { node { code district { code city { code province { code name } } } } } }
    }`);
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.subDistricts.edges.map((e: Data) => e.node);
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) expect(node.district.city.province.name).toEqual(expect.any(String));
    expect(result.calls).toEqual({ listSubDistricts: 1, batchGetDistricts: 1, batchGetCities: 1, batchGetProvinces: 1 });
  });

  it('looks customers up by number and id, and answers null for one that does not exist', async () => {
    const [customer] = (await stack.grpc.listCustomers({ pageSize: 1 })).customers;
    const byNumber = await query(`query($n: String) { customer(number: $n) { id number code name } }`, { n: customer!.number });
    expect(byNumber.data!.customer).toEqual({ id: String(customer!.id), number: customer!.number, code: customer!.number, name: customer!.name });
    const byId = await query(`query($id: ID) { customer(id: $id) { number } }`, { id: String(customer!.id) });
    expect(byId.data!.customer).toEqual({ number: customer!.number });
    const missing = await query(`{ customer(number: "NO-SUCH-CUSTOMER") { id } }`);
    expect(missing.errors).toBeUndefined();
    expect(missing.data!.customer).toBeNull();
  });

  it('reads generic records and the catalogue', async () => {
    const entities = await query(`{ entities { name keyColumns updateColumn columns { name type key } state { rowCount } } }`);
    expect(entities.errors).toBeUndefined();
    const customerEntity = entities.data!.entities.find((e: Data) => e.name === 'customer');
    expect(customerEntity).toMatchObject({ keyColumns: ['CUST_ACCOUNT_ID'], updateColumn: 'LAST_UPDATE_DATE' });
    expect(customerEntity.state.rowCount).toBe(FIXTURE_CUSTOMERS);
    expect(customerEntity.columns).toContainEqual({ name: 'CUSTOMER_NUMBER', type: 'STRING', key: false });

    const [customer] = (await stack.grpc.listCustomers({ pageSize: 1 })).customers;
    const record = await query(`query($key: [String!]!) { record(entity: "customer", key: $key) { entity key fields updatedAt } }`, {
      key: [String(customer!.id)],
    });
    expect(record.errors).toBeUndefined();
    expect(record.data!.record).toMatchObject({ entity: 'customer', key: [String(customer!.id)] });
    expect(record.data!.record.fields.CUSTOMER_NUMBER).toBe(customer!.number);

    const records = await query(`{ records(entity: "customer", first: 7) { edges { node { key } } pageInfo { hasNextPage endCursor } } }`);
    expect(records.data!.records.edges).toHaveLength(7);
    expect(records.data!.records.pageInfo.hasNextPage).toBe(true);
  });

  it('lets data teams see sync history, trigger a sync and drop cache entries', async () => {
    const state = await query(`{ entityState(entity: "region") { name state { rowCount lastSuccessAt running } } }`);
    expect(state.errors).toBeUndefined();
    expect(state.data!.entityState.state.rowCount).toBeGreaterThan(0);

    const triggered = await query(`mutation { triggerSync(entity: "region", mode: FULL, wait: true) { id entity mode trigger status rowsRead finishedAt } }`);
    expect(triggered.errors).toBeUndefined();
    expect(triggered.data!.triggerSync).toMatchObject({ entity: 'region', mode: 'FULL', trigger: 'MANUAL', status: 'SUCCEEDED' });
    expect(triggered.data!.triggerSync.rowsRead).toBe(state.data!.entityState.state.rowCount);

    const runs = await query(`{ syncRuns(entity: "region", first: 10) { edges { node { id trigger } } } }`);
    const triggers = runs.data!.syncRuns.edges.map((e: Data) => e.node.trigger);
    expect(runs.data!.syncRuns.edges[0].node.id).toBe(triggered.data!.triggerSync.id);
    expect(triggers).toContain('BOOTSTRAP');

    const dropped = await query(`mutation { invalidateMasterDataCache(entity: "region") }`);
    expect(dropped.errors).toBeUndefined();
    expect(dropped.data!.invalidateMasterDataCache).toBe(0);
  });

  it('reports bad input as BAD_USER_INPUT with the offending argument named', async () => {
    const tooLarge = await query(`{ customers(first: 1001) { edges { node { code } } } }`);
    expect(tooLarge.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldViolations: [expect.objectContaining({ field: 'first' })],
    });
    expect(tooLarge.calls).toEqual({});

    const unknownEntity = await query(`{ records(entity: "no-such-view") { edges { node { key } } } }`);
    expect(unknownEntity.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_ENTITY' });

    const tampered = await query(`{ customers(first: 5, after: "not-a-real-token") { edges { node { code } } } }`);
    expect(tampered.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldViolations: [expect.objectContaining({ field: 'after' })],
    });

    const badId = await query(`{ customer(id: "12abc") { code } }`);
    expect(badId.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_ID' });
    const bothKeys = await query(`{ customer(id: "1", number: "C1") { code } }`);
    expect(bothKeys.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ONE_LOOKUP_KEY_REQUIRED' });

    const badLiteral = await query(`{ customers(updatedSince: "yesterday") { edges { node { code } } } }`);
    expect(badLiteral.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badVariable = await query(`query($since: DateTime) { customers(updatedSince: $since) { edges { node { code } } } }`, {
      since: '2026-13-45',
    });
    expect(badVariable.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(badLiteral.calls).toEqual({});
  });
});

describe('access through the subgraph', () => {
  it('passes the bearer token on: none is UNAUTHENTICATED, a reader reads, only the data team syncs', async () => {
    const anonymous = await query(`{ region(code: "JBK") { name } }`, undefined, {});
    expect(anonymous.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTHENTICATION_REQUIRED' });
    const expired = await query(`{ region(code: "JBK") { name } }`, undefined, { authorization: await stack.issuer.bearer(['amo'], { ttlSeconds: -300 }) });
    expect(expired.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });

    const amo = { authorization: await stack.issuer.bearer(['amo']) };
    const read = await query(`{ region(code: "JBK") { name } }`, undefined, amo);
    expect(read.errors).toBeUndefined();
    expect(read.data!.region.name).toBeTruthy();
    const trigger = await query(`mutation { triggerSync(entity: "region", mode: FULL, wait: false) { id } }`, undefined, amo);
    expect(trigger.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE_REQUIRED' });
    const invalidate = await query(`mutation { invalidateMasterDataCache(entity: "region") }`, undefined, amo);
    expect(invalidate.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE_REQUIRED' });
  });
});
