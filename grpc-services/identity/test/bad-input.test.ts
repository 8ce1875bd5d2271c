import type { UserStatus } from '@core/contracts/identity/v1';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { domainErrorOf, startTestIdentity, type TestIdentity } from './helpers.js';

let t: TestIdentity;
let admin: { metadata: import('nice-grpc').Metadata };
let usersBefore = 0;

/** Asserts INVALID_ARGUMENT with a field violation on `field`. */
async function rejects(call: Promise<unknown>, field: string): Promise<void> {
  const error = await domainErrorOf(call);
  expect(error.code, error.message).toBe('INVALID_ARGUMENT');
  expect(error.fieldViolations.map((v) => v.field)).toContain(field);
}

const valid = { username: 'valid.user', name: 'Valid User', roles: ['md'], password: 'long-enough-1' };

beforeAll(async () => {
  t = await startTestIdentity('bad_input');
  const [row] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM users');
  usersBefore = row!.n;
}, 120_000);

beforeEach(async () => {
  admin = t.as(await t.tokenOf('admin'));
});

afterAll(async () => {
  // Nothing half-written: every rejected create left the table as it was.
  const [row] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM users');
  expect(row!.n).toBe(usersBefore);
  await t?.stop();
});

describe('login', () => {
  it('rejects empty and oversized logins and passwords', async () => {
    await rejects(t.identity.login({ login: '', password: 'x' }), 'login');
    await rejects(t.identity.login({ login: '   ', password: 'x' }), 'login');
    await rejects(t.identity.login({ login: 'demo.md', password: '' }), 'password');
    await rejects(t.identity.login({ login: 'a'.repeat(255), password: 'x' }), 'login');
    await rejects(t.identity.login({ login: 'demo.md', password: 'p'.repeat(257) }), 'password');
    await rejects(t.identity.login({ login: 'demo\u0000md', password: 'x' }), 'login');
  });

  it('rejects empty and oversized refresh tokens and client credentials', async () => {
    await rejects(t.identity.refreshTokens({ refreshToken: '' }), 'refresh_token');
    await rejects(t.identity.logout({ refreshToken: 'x'.repeat(5000) }), 'refresh_token');
    await rejects(t.identity.issueServiceToken({ clientId: '', clientSecret: 'x' }), 'client_id');
    await rejects(t.identity.issueServiceToken({ clientId: 'job', clientSecret: '' }), 'client_secret');
    await rejects(t.identity.issueServiceToken({ clientId: 'jo\u0000b', clientSecret: 'x' }), 'client_id');
  });

  it('answers hostile but well-formed logins with the generic credentials error', async () => {
    for (const login of ["' OR 1=1 --", '%', '@', '١٢٣', 'ü@ü.ü']) {
      const error = await domainErrorOf(t.identity.login({ login, password: 'whatever' }));
      expect({ code: error.code, reason: error.reason }).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
    }
  });
});

describe('user administration', () => {
  it('rejects bad identifiers, names and passwords', async () => {
    await rejects(t.identity.createUser({ ...valid, username: '', email: '', nip: '' }, admin), 'username');
    await rejects(t.identity.createUser({ ...valid, username: 'Bad Name!' }, admin), 'username');
    await rejects(t.identity.createUser({ ...valid, username: '123abc' }, admin), 'username');
    await rejects(t.identity.createUser({ ...valid, email: 'not-an-email' }, admin), 'email');
    await rejects(t.identity.createUser({ ...valid, email: `${'a'.repeat(250)}@x.id` }, admin), 'email');
    await rejects(t.identity.createUser({ ...valid, nip: '12a45' }, admin), 'nip');
    await rejects(t.identity.createUser({ ...valid, email: 'a\u0000b@x.id' }, admin), 'email');
    await rejects(t.identity.createUser({ ...valid, name: 'Na\u0000me' }, admin), 'name');
    await rejects(t.identity.createUser({ ...valid, name: '' }, admin), 'name');
    await rejects(t.identity.createUser({ ...valid, name: 'n'.repeat(201) }, admin), 'name');
    await rejects(t.identity.createUser({ ...valid, password: 'short' }, admin), 'password');
    await rejects(t.identity.createUser({ ...valid, password: 'p'.repeat(257) }, admin), 'password');
  });

  it('rejects approval levels 0 and 7 and unknown roles', async () => {
    await rejects(t.identity.createUser({ ...valid, scope: { area: '', region: '', unit: '', approvalLevel: 0 } }, admin), 'scope.approval_level');
    await rejects(t.identity.createUser({ ...valid, scope: { area: '', region: '', unit: '', approvalLevel: 7 } }, admin), 'scope.approval_level');
    await rejects(t.identity.createUser({ ...valid, roles: ['md', 'superuser'] }, admin), 'roles[1]');
    await rejects(t.identity.createUser({ ...valid, scope: { area: 'x'.repeat(65), region: '', unit: '', approvalLevel: 1 } }, admin), 'scope.area');
  });

  it('reports every violation of a request at once', async () => {
    const error = await domainErrorOf(
      t.identity.createUser({ username: 'X', name: '', roles: ['nope'], password: '1', scope: { area: '', region: '', unit: '', approvalLevel: 9 } }, admin),
    );
    expect(error.fieldViolations.map((v) => v.field).sort()).toEqual(['name', 'password', 'roles[0]', 'scope.approval_level', 'username']);
  });

  it('rejects bad updates, ids, page sizes, filters and batches', async () => {
    const { user } = await t.identity.getMe({}, admin);
    await rejects(t.identity.updateUser({ user: user!, updateMask: [] }, admin), 'update_mask');
    await rejects(t.identity.updateUser({ user: user!, updateMask: ['password_hash'] }, admin), 'update_mask[0]');
    await rejects(t.identity.updateUser({ updateMask: ['name'] }, admin), 'user');
    await rejects(t.identity.updateUser({ user: { ...user!, roles: ['root'] }, updateMask: ['roles'] }, admin), 'user.roles[0]');
    await rejects(t.identity.updateUser({ user: { ...user!, status: 0 }, updateMask: ['status'] }, admin), 'user.status');
    await rejects(
      t.identity.updateUser({ user: { ...user!, username: '', email: '', nip: '' }, updateMask: ['username', 'email', 'nip'] }, admin),
      'username',
    );
    await rejects(t.identity.getUser({ id: 'not-a-uuid' }, admin), 'id');
    await rejects(t.identity.setPassword({ userId: "1' OR '1'='1", newPassword: 'long-enough-1' }, admin), 'user_id');
    await rejects(t.identity.batchGetUsers({ ids: ['x'] }, admin), 'ids[0]');
    await rejects(t.identity.batchGetUsers({ ids: Array.from({ length: 1001 }, () => user!.id) }, admin), 'ids');
    await rejects(t.identity.listUsers({ pageSize: 501 }, admin), 'page_size');
    await rejects(t.identity.listUsers({ pageSize: -1 }, admin), 'page_size');
    await rejects(t.identity.listUsers({ pageToken: 'garbage' }, admin), 'page_token');
    await rejects(t.identity.listUsers({ role: 'root' }, admin), 'role');
    await rejects(t.identity.listUsers({ query: 'a\u0000' }, admin), 'query');
    await rejects(t.identity.listUsers({ query: 'q'.repeat(201) }, admin), 'query');
    await rejects(t.identity.listUsers({ status: 9 as UserStatus }, admin), 'status');
    await rejects(t.identity.createServiceClient({ clientId: 'Bad Client', displayName: 'x', roles: [] }, admin), 'client_id');
    await rejects(t.identity.changePassword({ currentPassword: '', newPassword: 'short' }, admin), 'new_password');
    const missing = await domainErrorOf(t.identity.getUser({ id: '00000000-0000-4000-8000-000000000000' }, admin));
    expect(missing.code).toBe('NOT_FOUND');
  });
});
