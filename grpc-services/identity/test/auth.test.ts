import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IdentityServiceDefinition } from '@core/contracts/identity/v1';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_ACCESS } from '../src/handlers/access.js';
import { expectError, startTestIdentity, type TestIdentity } from './helpers.js';

let t: TestIdentity;
let adminToken: string;
let mdToken: string;

beforeAll(async () => {
  t = await startTestIdentity('auth');
}, 120_000);

// Fresh tokens per test: the expiry test moves the clock past earlier ones.
beforeEach(async () => {
  adminToken = await t.tokenOf('admin');
  mdToken = await t.tokenOf('md');
});

afterAll(async () => {
  await t?.stop();
});

/** Signs `payload` like the service would, with overrides, using the given key (default: the service's own). */
async function sign(overrides: JWTPayload, key?: Parameters<SignJWT['sign']>[0], alg = 'EdDSA'): Promise<string> {
  const genuine = decodeJwt(mdToken);
  const { kid } = decodeProtectedHeader(mdToken);
  const signingKey = key ?? createPrivateKey(await readFile(join(t.keyDir, 'signing-key.pem'), 'utf8'));
  return new SignJWT({ ...genuine, ...overrides }).setProtectedHeader({ alg, kid: kid! }).sign(signingKey);
}

describe('bearer tokens the service refuses with UNAUTHENTICATED', () => {
  it('accepts a token re-signed with its own key (control)', async () => {
    expect((await t.identity.getMe({}, t.as(await sign({})))).user?.username).toBe('demo.md');
  });

  it('a forged signature', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    await expectError(t.identity.getMe({}, t.as(await sign({}, privateKey))), 'UNAUTHENTICATED', 'INVALID_TOKEN');
    const [header, payload, signature] = mdToken.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...decodeJwt(mdToken), roles: ['admin'] })).toString('base64url');
    await expectError(t.identity.listUsers({}, t.as(`${header}.${tampered}.${signature}`)), 'UNAUTHENTICATED', 'INVALID_TOKEN');
    expect(payload).not.toBe(tampered);
  });

  it('an expired token', async () => {
    const token = await t.tokenOf('tl');
    t.clock.advance(15 * 60_000 + 1000);
    await expectError(t.identity.getMe({}, t.as(token)), 'UNAUTHENTICATED', 'TOKEN_EXPIRED');
  });

  it('alg none, and HS256 keyed with the public key', async () => {
    const unsecured = new UnsecuredJWT({ ...decodeJwt(mdToken), roles: ['admin'] }).encode();
    await expectError(t.identity.listUsers({}, t.as(unsecured)), 'UNAUTHENTICATED', 'INVALID_TOKEN');
    const { keys } = JSON.parse((await t.identity.getJwks({})).jwksJson) as { keys: Array<{ x: string }> };
    const hs = await sign({ roles: ['admin'] }, Buffer.from(keys[0]!.x, 'base64url'), 'HS256');
    await expectError(t.identity.listUsers({}, t.as(hs)), 'UNAUTHENTICATED', 'INVALID_TOKEN');
  });

  it('a wrong issuer or audience', async () => {
    await expectError(t.identity.getMe({}, t.as(await sign({ iss: 'https://evil.example' }))), 'UNAUTHENTICATED', 'INVALID_TOKEN');
    await expectError(t.identity.getMe({}, t.as(await sign({ aud: 'another-mesh' }))), 'UNAUTHENTICATED', 'INVALID_TOKEN');
  });

  it('a token for a user that does not exist, garbage, and a non-bearer header', async () => {
    await expectError(t.identity.getMe({}, t.as(await sign({ sub: '00000000-0000-4000-8000-000000000000' }))), 'UNAUTHENTICATED', 'ACCOUNT_DISABLED');
    await expectError(t.identity.getMe({}, t.as('not.a.jwt')), 'UNAUTHENTICATED', 'INVALID_TOKEN');
    await expectError(t.identity.getMe({}, { metadata: Metadata({ authorization: `Basic ${mdToken}` }) }), 'UNAUTHENTICATED', 'INVALID_TOKEN');
  });
});

describe('public RPCs with a stale bearer token', () => {
  it('still refresh and sign in, while protected RPCs refuse the token', async () => {
    const session = await t.identity.login({ login: 'demo.tl', password: 'demo-tl-pass' });
    t.clock.advance(15 * 60_000 + 1000);
    const stale = t.as(session.tokens!.accessToken);
    await expectError(t.identity.getMe({}, stale), 'UNAUTHENTICATED', 'TOKEN_EXPIRED');
    const refreshed = await t.identity.refreshTokens({ refreshToken: session.tokens!.refreshToken }, stale);
    expect((await t.identity.getMe({}, t.as(refreshed.tokens!.accessToken))).user?.username).toBe('demo.tl');
    expect((await t.identity.login({ login: 'demo.tl', password: 'demo-tl-pass' }, t.as('garbage'))).user?.username).toBe('demo.tl');
  });
});

describe('access to RPCs', () => {
  it('declares the access of every RPC of the contract', () => {
    const rpcs = Object.values(IdentityServiceDefinition.methods).map((m) => m.name);
    const declared = Object.keys(IDENTITY_ACCESS);
    expect(declared.sort()).toEqual(rpcs.map((name) => name[0]!.toLowerCase() + name.slice(1)).sort());
  });

  it('refuses admin RPCs without a token (UNAUTHENTICATED) and to a non-admin (PERMISSION_DENIED)', async () => {
    const user = (await t.identity.getMe({}, t.as(mdToken))).user!;
    // Thunks, so each call starts only when the loop awaits it.
    const adminCalls = (options: object) => [
      () => t.identity.listUsers({}, options),
      () => t.identity.createUser({ username: 'never.made', name: 'Never', password: 'long-enough-1' }, options),
      () => t.identity.updateUser({ user: { ...user, name: 'Renamed' }, updateMask: ['name'] }, options),
      () => t.identity.setPassword({ userId: user.id, newPassword: 'long-enough-1' }, options),
      () => t.identity.disableUser({ id: user.id }, options),
      () => t.identity.enableUser({ id: user.id }, options),
      () => t.identity.unlockUser({ id: user.id }, options),
      () => t.identity.createServiceClient({ clientId: 'never-made', displayName: 'Never', roles: [] }, options),
      () => t.identity.listServiceClients({}, options),
    ];
    for (const call of adminCalls({})) await expectError(call(), 'UNAUTHENTICATED', 'AUTHENTICATION_REQUIRED');
    for (const call of adminCalls(t.as(mdToken))) await expectError(call(), 'PERMISSION_DENIED', 'ROLE_REQUIRED');
    await expectError(t.identity.getMe({}), 'UNAUTHENTICATED', 'AUTHENTICATION_REQUIRED');
    await expectError(t.identity.getUser({ id: user.id }), 'UNAUTHENTICATED', 'AUTHENTICATION_REQUIRED');
    expect((await t.identity.getUser({ id: user.id }, t.as(mdToken))).user?.name).toBe('Demo Merchandiser');
    const rows = await t.sql<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE username = 'never.made' OR name = 'Renamed'");
    expect(rows[0]!.n).toBe(0);
  });

  it('lets an administrator manage users end to end', async () => {
    const { user } = await t.identity.createUser(
      {
        nip: '200001010099',
        name: '  Siti Rahma ',
        roles: ['sppd-approver', 'tl', 'tl'],
        scope: { area: 'MLG-2', region: 'JATIM', unit: 'MLG', approvalLevel: 5 },
        password: 'initial-password',
      },
      t.as(adminToken),
    );
    expect(user).toMatchObject({ name: 'Siti Rahma', roles: ['sppd-approver', 'tl'], scope: { approvalLevel: 5 }, status: 1 });
    const { user: updated } = await t.identity.updateUser(
      { user: { ...user!, email: 'Siti@Example.co.id', roles: ['amo'], scope: { area: '', region: 'JATIM', unit: '', approvalLevel: undefined } }, updateMask: ['email', 'roles', 'scope'] },
      t.as(adminToken),
    );
    expect(updated).toMatchObject({ email: 'siti@example.co.id', roles: ['amo'], nip: '200001010099', name: 'Siti Rahma' });
    expect(updated?.scope?.approvalLevel).toBeUndefined();
    await t.identity.setPassword({ userId: user!.id, newPassword: 'reset-by-admin' }, t.as(adminToken));
    // The reset revoked Siti's tokens issued until now; the test clock stands still unless moved.
    t.clock.advance(1000);
    const session = await t.identity.login({ login: 'siti@example.co.id', password: 'reset-by-admin' });
    await t.identity.changePassword({ currentPassword: 'reset-by-admin', newPassword: 'chosen-by-siti' }, t.as(session.tokens!.accessToken));
    // Changing the password ends every session, the live access token included.
    await expectError(t.identity.getMe({}, t.as(session.tokens!.accessToken)), 'UNAUTHENTICATED', 'TOKEN_REVOKED');
    await expectError(t.identity.refreshTokens({ refreshToken: session.tokens!.refreshToken }), 'UNAUTHENTICATED', 'INVALID_REFRESH_TOKEN');
    await expectError(t.identity.login({ login: '200001010099', password: 'reset-by-admin' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    expect((await t.identity.login({ login: '200001010099', password: 'chosen-by-siti' })).user?.id).toBe(user!.id);
    await expectError(
      t.identity.createUser({ nip: '200001010099', name: 'Dup', password: 'long-enough-1' }, t.as(adminToken)),
      'ALREADY_EXISTS',
      'USER_ALREADY_EXISTS',
    );
    const adminId = (await t.identity.getMe({}, t.as(adminToken))).user!.id;
    await expectError(t.identity.disableUser({ id: adminId }, t.as(adminToken)), 'FAILED_PRECONDITION', 'CANNOT_DISABLE_SELF');
  });

  it('pages users by name with search and role filters', async () => {
    const first = await t.identity.listUsers({ pageSize: 4 }, t.as(adminToken));
    expect(first.users).toHaveLength(4);
    const names = first.users.map((u) => u.name);
    expect([...names].sort()).toEqual(names);
    const seen = [...first.users];
    let token = first.nextPageToken;
    while (token) {
      const page = await t.identity.listUsers({ pageSize: 4, pageToken: token }, t.as(adminToken));
      seen.push(...page.users);
      token = page.nextPageToken;
    }
    const [total] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(new Set(seen.map((u) => u.id)).size).toBe(total!.n);
    expect((await t.identity.listUsers({ role: 'wholesaler' }, t.as(adminToken))).users.map((u) => u.username)).toEqual(['demo.wholesaler']);
    expect((await t.identity.listUsers({ query: '198503030003' }, t.as(adminToken))).users.map((u) => u.username)).toEqual(['demo.amo']);
    await expectError(t.identity.listUsers({ pageSize: 4, pageToken: first.nextPageToken, role: 'md' }, t.as(adminToken)), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
  });
});

describe('service clients', () => {
  it('get client-credentials tokens with their roles and subject service:<client>', async () => {
    const created = await t.identity.createServiceClient(
      { clientId: 'md-sync-job', displayName: 'Nightly master-data sync', roles: ['data-team'] },
      t.as(adminToken),
    );
    expect(created.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const issued = await t.identity.issueServiceToken({ clientId: 'md-sync-job', clientSecret: created.clientSecret });
    expect(decodeJwt(issued.accessToken)).toMatchObject({ sub: 'service:md-sync-job', roles: ['data-team'], name: 'Nightly master-data sync' });
    // A service identity is signed in (it may resolve users) but is not a person.
    const me = (await t.identity.getMe({}, t.as(mdToken))).user!;
    expect((await t.identity.batchGetUsers({ ids: [me.id, me.id] }, t.as(issued.accessToken))).users).toHaveLength(1);
    await expectError(t.identity.getMe({}, t.as(issued.accessToken)), 'PERMISSION_DENIED', 'USER_REQUIRED');
    await expectError(t.identity.listUsers({}, t.as(issued.accessToken)), 'PERMISSION_DENIED', 'ROLE_REQUIRED');
    await expectError(t.identity.issueServiceToken({ clientId: 'md-sync-job', clientSecret: `${created.clientSecret}x` }), 'UNAUTHENTICATED', 'INVALID_CLIENT');
    await expectError(t.identity.issueServiceToken({ clientId: 'no-such-client', clientSecret: created.clientSecret }), 'UNAUTHENTICATED', 'INVALID_CLIENT');
    const stored = await t.sql<{ secret_hash: string }>("SELECT secret_hash FROM service_clients WHERE client_id = 'md-sync-job'");
    expect(stored[0]!.secret_hash).not.toContain(created.clientSecret);
    const listed = await t.identity.listServiceClients({}, t.as(adminToken));
    expect(listed.clients.map((c) => c.clientId)).toContain('md-sync-job');
    await expectError(
      t.identity.createServiceClient({ clientId: 'md-sync-job', displayName: 'Again', roles: [] }, t.as(adminToken)),
      'ALREADY_EXISTS',
    );
  });
});
