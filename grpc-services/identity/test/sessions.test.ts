import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestIdentity, type TestIdentity } from './helpers.js';

let t: TestIdentity;

beforeAll(async () => {
  t = await startTestIdentity('sessions');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

async function jwksOverHttp(): Promise<JSONWebKeySet> {
  const response = await fetch(t.service.jwksUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return (await response.json()) as JSONWebKeySet;
}

describe('login', () => {
  it('signs an employee in by NIP, and others by username or email', async () => {
    const byNip = await t.identity.login({ login: '199505050005', password: 'demo-md-pass' });
    expect(byNip.user?.username).toBe('demo.md');
    expect(byNip.user?.roles).toEqual(['md']);
    const byUsername = await t.identity.login({ login: 'demo.wholesaler', password: 'demo-wholesaler-pass' });
    expect(byUsername.user?.email).toBe('wholesaler@demo.core.local');
    const byEmail = await t.identity.login({ login: 'Wholesaler@Demo.Core.Local', password: 'demo-wholesaler-pass' });
    expect(byEmail.user?.id).toBe(byUsername.user?.id);
    expect(byEmail.tokens?.tokenType).toBe('Bearer');
  });

  it('answers a wrong password and an unknown login alike', async () => {
    const wrong = await expectError(t.identity.login({ login: 'demo.tl', password: 'nope-nope' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    const unknown = await expectError(t.identity.login({ login: 'nobody.here', password: 'nope-nope' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    expect(unknown.message).toBe(wrong.message);
  });

  it('stores argon2id hashes, never the password', async () => {
    const rows = await t.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE username = 'demo.admin'");
    expect(rows[0]!.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(rows[0]!.password_hash).not.toContain('demo-admin-pass');
  });
});

describe('access tokens', () => {
  it('carry the design claims and verify against the JWKS fetched over HTTP', async () => {
    const { tokens, user } = await t.identity.login({ login: '198503030003', password: 'demo-amo-pass' });
    const jwks = await jwksOverHttp();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(tokens!.accessToken, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA'],
      issuer: t.service.issuer,
      audience: t.service.audience,
      currentDate: t.clock(),
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: jwks.keys[0]!.kid });
    expect(payload).toMatchObject({
      sub: user!.id,
      name: 'Demo AMO',
      roles: ['amo'],
      level: 3,
      unit: 'SBY',
      area: 'SBY-1',
      region: 'JATIM',
      iss: 'core-identity',
      aud: 'core-mesh',
    });
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
    expect(typeof payload.jti).toBe('string');
    expect(tokens!.accessTokenExpireTime?.getTime()).toBe(payload.exp! * 1000);
  });

  it('publishes the same key set through GetJwks', async () => {
    const { jwksJson } = await t.identity.getJwks({});
    expect(JSON.parse(jwksJson)).toEqual(await jwksOverHttp());
    expect(decodeProtectedHeader((await t.identity.login({ login: 'demo.md', password: 'demo-md-pass' })).tokens!.accessToken).kid).toBe(
      JSON.parse(jwksJson).keys[0].kid,
    );
  });

  it('lets GetMe answer for the bearer', async () => {
    const token = await t.tokenOf('regional');
    const { user } = await t.identity.getMe({}, t.as(token));
    expect(user).toMatchObject({ username: 'demo.regional', scope: { region: 'JATIM', approvalLevel: 4 } });
  });
});

describe('refresh tokens', () => {
  it('rotate on every use and are stored hashed', async () => {
    const first = await t.identity.login({ login: 'demo.tl', password: 'demo-tl-pass' });
    const second = await t.identity.refreshTokens({ refreshToken: first.tokens!.refreshToken });
    expect(second.tokens!.refreshToken).not.toBe(first.tokens!.refreshToken);
    expect(second.tokens!.accessToken).not.toBe(first.tokens!.accessToken);
    expect(second.tokens!.refreshTokenExpireTime!.getTime() - t.clock().getTime()).toBe(7 * 86_400_000);
    const third = await t.identity.refreshTokens({ refreshToken: second.tokens!.refreshToken });
    expect(third.tokens!.refreshToken).not.toBe(second.tokens!.refreshToken);
    const stored = await t.sql<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens');
    expect(stored.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash))).toBe(true);
    expect(stored.map((row) => row.token_hash)).not.toContain(first.tokens!.refreshToken);
  });

  it('revoke the whole family when a spent one is presented again', async () => {
    const login = await t.identity.login({ login: 'demo.md', password: 'demo-md-pass' });
    const spent = login.tokens!.refreshToken;
    const next = await t.identity.refreshTokens({ refreshToken: spent });
    await expectError(t.identity.refreshTokens({ refreshToken: spent }), 'UNAUTHENTICATED', 'REFRESH_TOKEN_REUSED');
    // The legitimate holder's current token died with the family.
    await expectError(t.identity.refreshTokens({ refreshToken: next.tokens!.refreshToken }), 'UNAUTHENTICATED', 'INVALID_REFRESH_TOKEN');
  });

  it('let only one of two concurrent presentations rotate', async () => {
    const login = await t.identity.login({ login: 'demo.md', password: 'demo-md-pass' });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => t.identity.refreshTokens({ refreshToken: login.tokens!.refreshToken })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('expire after 7 days', async () => {
    const login = await t.identity.login({ login: 'demo.md', password: 'demo-md-pass' });
    t.clock.advance(7 * 86_400_000 + 1000);
    await expectError(t.identity.refreshTokens({ refreshToken: login.tokens!.refreshToken }), 'UNAUTHENTICATED', 'INVALID_REFRESH_TOKEN');
  });

  it('are refused when unknown or malformed', async () => {
    await expectError(t.identity.refreshTokens({ refreshToken: 'A'.repeat(43) }), 'UNAUTHENTICATED', 'INVALID_REFRESH_TOKEN');
    await expectError(t.identity.refreshTokens({ refreshToken: "'; DROP TABLE users; --" }), 'UNAUTHENTICATED', 'INVALID_REFRESH_TOKEN');
  });
});

describe('logout', () => {
  it('revokes the family, and is idempotent', async () => {
    const login = await t.identity.login({ login: 'demo.nasional', password: 'demo-nasional-pass' });
    const rotated = await t.identity.refreshTokens({ refreshToken: login.tokens!.refreshToken });
    await t.identity.logout({ refreshToken: rotated.tokens!.refreshToken });
    await t.identity.logout({ refreshToken: rotated.tokens!.refreshToken });
    await expectError(t.identity.refreshTokens({ refreshToken: rotated.tokens!.refreshToken }), 'UNAUTHENTICATED', 'INVALID_REFRESH_TOKEN');
  });
});
