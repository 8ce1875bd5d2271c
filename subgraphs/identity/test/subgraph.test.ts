import { Metadata } from 'nice-grpc-common';
import { DEMO_ACCOUNTS } from '@core/identity-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityStack, startIdentityStack } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: response shapes are asserted field by field, not typed
type Data = any;

interface GraphQLResponse {
  data?: Record<string, Data> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, Data> }[];
}

let stack: IdentityStack;

beforeAll(async () => {
  stack = await startIdentityStack('identity_subgraph');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function query(text: string, variables?: Record<string, unknown>, token?: string) {
  stack.resetCalls();
  const response = await fetch(stack.subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = (await response.json()) as GraphQLResponse;
  return { ...body, calls: stack.calls() };
}

const LOGIN = `mutation Login($login: String!, $password: String!) {
  login(login: $login, password: $password) {
    accessToken tokenType accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    user { id username name roles scope { area region unit approvalLevel } status }
  }
}`;

const demo = (role: string) => DEMO_ACCOUNTS.find((account) => account.role === role)!;

async function signIn(role: string): Promise<{ accessToken: string; refreshToken: string; user: Data }> {
  const account = demo(role);
  const result = await query(LOGIN, { login: account.username, password: account.password });
  expect(result.errors).toBeUndefined();
  return result.data!.login;
}

function errorCodes(result: GraphQLResponse): unknown[] {
  return (result.errors ?? []).map((error) => error.extensions?.code);
}

describe('identity subgraph over the real identity service', () => {
  it('login returns an access token, a refresh token, their expiries and the user', async () => {
    const before = Date.now();
    const account = demo('amo');
    const result = await query(LOGIN, { login: account.nip, password: account.password });
    expect(result.errors).toBeUndefined();
    const payload = result.data!.login;
    expect(payload.tokenType).toBe('Bearer');
    expect(payload.accessToken.split('.')).toHaveLength(3);
    expect(payload.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const accessExpiry = Date.parse(payload.accessTokenExpiresAt) - before;
    expect(accessExpiry).toBeGreaterThan(14 * 60_000);
    expect(accessExpiry).toBeLessThanOrEqual(15 * 60_000 + 5_000);
    expect(Date.parse(payload.refreshTokenExpiresAt) - before).toBeGreaterThan(6.9 * 86_400_000);
    expect(payload.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'demo.amo',
      name: account.name,
      roles: ['amo'],
      scope: { area: 'SBY-1', region: 'JATIM', unit: 'SBY', approvalLevel: 3 },
      status: 'ACTIVE',
    });
    expect(result.calls).toEqual({ login: 1 });
  });

  it('answers `me` for the bearer of a token, and UNAUTHENTICATED without one', async () => {
    const session = await signIn('md');
    const me = await query('{ me { id username nip roles email } }', undefined, session.accessToken);
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual({ id: session.user.id, username: 'demo.md', nip: demo('md').nip, roles: ['md'], email: demo('md').email });

    const anonymous = await query('{ me { id } }');
    expect(anonymous.data?.me ?? null).toBeNull();
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.errors![0]!.extensions!.reason).toBe('AUTHENTICATION_REQUIRED');

    const forged = await query('{ me { id } }', undefined, `${session.accessToken.slice(0, -4)}AAAA`);
    expect(errorCodes(forged)).toEqual(['UNAUTHENTICATED']);
  });

  it('wrong credentials are UNAUTHENTICATED with the service reason', async () => {
    const result = await query(LOGIN, { login: 'demo.tl', password: 'not-the-password' });
    expect(result.data).toBeNull();
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.errors![0]!.extensions!.reason).toBe('INVALID_CREDENTIALS');
  });

  it('lists users for an admin and refuses the list to a merchandiser', async () => {
    const admin = await signIn('admin');
    const list = await query('{ users(first: 100) { edges { node { username roles } } pageInfo { hasNextPage } } }', undefined, admin.accessToken);
    expect(list.errors).toBeUndefined();
    expect(list.data!.users.edges.map((e: Data) => e.node.username).sort()).toEqual(DEMO_ACCOUNTS.map((a) => a.username).sort());
    expect(list.data!.users.pageInfo.hasNextPage).toBe(false);

    const byRole = await query('{ users(role: "md") { edges { node { username } } } }', undefined, admin.accessToken);
    expect(byRole.data!.users.edges).toEqual([{ node: { username: 'demo.md' } }]);

    const paged = await query('{ users(first: 3) { edges { cursor node { username } } pageInfo { hasNextPage endCursor } } }', undefined, admin.accessToken);
    expect(paged.data!.users.edges).toHaveLength(3);
    expect(paged.data!.users.pageInfo.hasNextPage).toBe(true);
    const next = await query('query($after: String) { users(first: 3, after: $after) { edges { node { username } } } }', { after: paged.data!.users.pageInfo.endCursor }, admin.accessToken);
    expect(next.errors).toBeUndefined();
    const firstNames = paged.data!.users.edges.map((e: Data) => e.node.username);
    for (const { node } of next.data!.users.edges) expect(firstNames).not.toContain(node.username);

    const md = await signIn('md');
    const refused = await query('{ users { edges { node { id } } } }', undefined, md.accessToken);
    expect(refused.data).toBeNull();
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0]!.extensions!.reason).toBe('ROLE_REQUIRED');
  });

  it('resolves User references in one BatchGetUsers call per plan step; unknown ids are null', async () => {
    const admin = await signIn('admin');
    const { users } = await stack.grpc.listUsers({ pageSize: 100 }, { metadata: authorization(admin.accessToken) });
    expect(users.length).toBe(DEMO_ACCOUNTS.length);
    const representations = [
      ...users.map((u) => ({ __typename: 'User', id: u.id })),
      { __typename: 'User', id: '00000000-0000-4000-8000-000000000000' },
      { __typename: 'User', id: users[0]!.id.toUpperCase() },
    ];
    const result = await query(
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id username roles } } }',
      { representations },
      admin.accessToken,
    );
    expect(result.errors).toBeUndefined();
    const entities = result.data!._entities as Data[];
    expect(entities.slice(0, users.length)).toEqual(users.map((u) => ({ id: u.id, username: u.username, roles: u.roles })));
    expect(entities[users.length]).toBeNull();
    expect(entities[users.length + 1]).toEqual({ id: users[0]!.id, username: users[0]!.username, roles: users[0]!.roles });
    expect(result.calls).toEqual({ batchGetUsers: 1 });

    const anonymous = await query('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', { r: representations.slice(0, 2) });
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('reports bad input as BAD_USER_INPUT naming the GraphQL argument', async () => {
    const admin = await signIn('admin');
    const badId = await query('{ user(id: "not-a-uuid") { id } }', undefined, admin.accessToken);
    expect(errorCodes(badId)).toEqual(['BAD_USER_INPUT']);
    expect(badId.errors![0]!.extensions!.fieldViolations).toEqual([{ field: 'id', description: expect.any(String) }]);

    const badPage = await query('{ users(first: 0) { edges { node { id } } } }', undefined, admin.accessToken);
    expect(errorCodes(badPage)).toEqual(['BAD_USER_INPUT']);
    expect(badPage.errors![0]!.extensions!.fieldViolations).toEqual([{ field: 'first', description: expect.any(String) }]);
    expect(badPage.calls).toEqual({});

    const badRole = await query('{ users(role: "pirate") { edges { node { id } } } }', undefined, admin.accessToken);
    expect(errorCodes(badRole)).toEqual(['BAD_USER_INPUT']);
    expect(badRole.errors![0]!.extensions!.fieldViolations).toEqual([{ field: 'role', description: 'unknown role' }]);

    const emptyLogin = await query(LOGIN, { login: '', password: '' });
    expect(errorCodes(emptyLogin)).toEqual(['BAD_USER_INPUT']);
    expect(emptyLogin.errors![0]!.extensions!.fieldViolations.map((v: Data) => v.field).sort()).toEqual(['login', 'password']);

    const badCursor = await query('{ users(after: "garbage") { edges { node { id } } } }', undefined, admin.accessToken);
    expect(errorCodes(badCursor)).toEqual(['BAD_USER_INPUT']);

    const missingUser = await query('{ user(id: "00000000-0000-4000-8000-000000000000") { id } }', undefined, admin.accessToken);
    expect(missingUser.errors).toBeUndefined();
    expect(missingUser.data!.user).toBeNull();
  });

  it('rotates refresh tokens, detects reuse, and logs out', async () => {
    const session = await signIn('tl');
    const refresh = `mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken refreshToken user { username } } }`;
    const rotated = await query(refresh, { t: session.refreshToken });
    expect(rotated.errors).toBeUndefined();
    expect(rotated.data!.refreshTokens.user).toEqual({ username: 'demo.tl' });
    expect(rotated.data!.refreshTokens.refreshToken).not.toBe(session.refreshToken);

    const reused = await query(refresh, { t: session.refreshToken });
    expect(errorCodes(reused)).toEqual(['UNAUTHENTICATED']);
    expect(reused.errors![0]!.extensions!.reason).toBe('REFRESH_TOKEN_REUSED');
    // Reuse revoked the family, so the successor is dead too.
    const successor = await query(refresh, { t: rotated.data!.refreshTokens.refreshToken });
    expect(errorCodes(successor)).toEqual(['UNAUTHENTICATED']);

    const other = await signIn('tl');
    const logout = await query('mutation($t: String!) { logout(refreshToken: $t) }', { t: other.refreshToken });
    expect(logout).toMatchObject({ data: { logout: true } });
    expect(logout.errors).toBeUndefined();
    expect(errorCodes(await query(refresh, { t: other.refreshToken }))).toEqual(['UNAUTHENTICATED']);
  });

  it('lets an admin create, change, disable, enable and reset a user, and register a service client', async () => {
    const admin = await signIn('admin');
    const created = await query(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id username nip roles scope { area approvalLevel } status } }`,
      { input: { username: 'rina.w', nip: '199909090009', name: 'Rina W', roles: ['md'], scope: { area: 'SBY-2' }, password: 'first-pass-123' } },
      admin.accessToken,
    );
    expect(created.errors).toBeUndefined();
    const user = created.data!.createUser;
    expect(user).toMatchObject({ username: 'rina.w', nip: '199909090009', roles: ['md'], scope: { area: 'SBY-2', approvalLevel: null }, status: 'ACTIVE' });

    const duplicate = await query(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { username: 'rina.w', name: 'Again', roles: [], password: 'first-pass-123' } },
      admin.accessToken,
    );
    expect(errorCodes(duplicate)).toEqual(['CONFLICT']);

    const updated = await query(
      `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { name roles scope { area region approvalLevel } } }`,
      { id: user.id, input: { name: 'Rina Wulandari', roles: ['md', 'tl'], scope: { area: 'SBY-2', region: 'JATIM', approvalLevel: 2 } } },
      admin.accessToken,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateUser).toEqual({ name: 'Rina Wulandari', roles: ['md', 'tl'], scope: { area: 'SBY-2', region: 'JATIM', approvalLevel: 2 } });

    const badRoles = await query(
      `mutation($id: ID!) { updateUser(id: $id, input: { roles: ["pirate"] }) { id } }`,
      { id: user.id },
      admin.accessToken,
    );
    expect(errorCodes(badRoles)).toEqual(['BAD_USER_INPUT']);
    expect(badRoles.errors![0]!.extensions!.fieldViolations).toEqual([{ field: 'input.roles[0]', description: expect.any(String) }]);

    const nothing = await query(`mutation($id: ID!) { updateUser(id: $id, input: {}) { id } }`, { id: user.id }, admin.accessToken);
    expect(errorCodes(nothing)).toEqual(['BAD_USER_INPUT']);
    expect(nothing.errors![0]!.extensions!.fieldViolations).toEqual([{ field: 'input', description: expect.any(String) }]);

    const disabled = await query('mutation($id: ID!) { disableUser(id: $id) { status } }', { id: user.id }, admin.accessToken);
    expect(disabled.data!.disableUser).toEqual({ status: 'DISABLED' });
    const refusedLogin = await query(LOGIN, { login: 'rina.w', password: 'first-pass-123' });
    expect(refusedLogin.errors![0]!.extensions!.reason).toBe('ACCOUNT_DISABLED');
    const enabled = await query('mutation($id: ID!) { enableUser(id: $id) { status } }', { id: user.id }, admin.accessToken);
    expect(enabled.data!.enableUser).toEqual({ status: 'ACTIVE' });

    const reset = await query('mutation($id: ID!) { setPassword(id: $id, newPassword: "second-pass-456") }', { id: user.id }, admin.accessToken);
    expect(reset).toMatchObject({ data: { setPassword: true } });
    expect((await query(LOGIN, { login: 'rina.w', password: 'first-pass-123' })).errors![0]!.extensions!.reason).toBe('INVALID_CREDENTIALS');
    const signedIn = await query(LOGIN, { login: 'rina.w', password: 'second-pass-456' });
    expect(signedIn.errors).toBeUndefined();

    const unlocked = await query('mutation($id: ID!) { unlockUser(id: $id) { lockedUntil } }', { id: user.id }, admin.accessToken);
    expect(unlocked.data!.unlockUser).toEqual({ lockedUntil: null });

    const md = await signIn('md');
    const forbidden = await query('mutation($id: ID!) { disableUser(id: $id) { status } }', { id: user.id }, md.accessToken);
    expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);

    const client = await query(
      `mutation { createServiceClient(input: { clientId: "nightly-import", displayName: "Nightly import", roles: ["data-team"] }) {
        clientSecret client { clientId displayName roles createdAt }
      } }`,
      undefined,
      admin.accessToken,
    );
    expect(client.errors).toBeUndefined();
    expect(client.data!.createServiceClient.client).toMatchObject({ clientId: 'nightly-import', roles: ['data-team'] });
    expect(client.data!.createServiceClient.clientSecret.length).toBeGreaterThanOrEqual(32);
    const clients = await query('{ serviceClients { edges { node { clientId } } } }', undefined, admin.accessToken);
    expect(clients.data!.serviceClients.edges).toEqual([{ node: { clientId: 'nightly-import' } }]);
  });
});

function authorization(token: string) {
  return Metadata({ authorization: `Bearer ${token}` });
}
