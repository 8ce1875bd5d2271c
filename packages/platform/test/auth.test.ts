import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createTestIssuer, redisUrl, testLogger, uniquePrefix, type TestIssuer } from '@core/testing';
import { SignJWT, exportJWK, calculateJwkThumbprint } from 'jose';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Access,
  authorize,
  createBearerAuthenticator,
  createMemoryRevocationList,
  createMetrics,
  createRedis,
  createRedisRevocationList,
  createTokenVerifier,
  DomainError,
  guardService,
  permissionDenied,
  redisReady,
  startHttpServer,
  trustedIssuers,
  type AuthContext,
  type Caller,
} from '../src/index.js';

const logger = testLogger();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The DomainError a promise rejects with (fails the test when it resolves or rejects otherwise). */
async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});

describe('token verifier', () => {
  it('accepts a token of the trusted issuer and exposes subject, roles and claims', async () => {
    const verifier = createTokenVerifier({ issuers: [issuer.trusted] });
    const token = await issuer.token({ sub: 'u-1', roles: ['amo'], region: 'R01', level: 3 });
    const { caller, expiresAt } = await verifier.verify(token);
    expect(caller).toMatchObject({ subject: 'u-1', roles: ['amo'], token });
    expect(caller.claims).toMatchObject({ region: 'R01', level: 3, iss: 'core-identity', aud: 'core-mesh' });
    expect(expiresAt).toBeGreaterThan(Date.now());
  });

  it('refuses forged, expired, unsigned, HS256-confused, foreign and malformed tokens as UNAUTHENTICATED', async () => {
    const verifier = createTokenVerifier({ issuers: [issuer.trusted] });
    const good = await issuer.token({ sub: 'u-1', roles: ['admin'] });
    const [header, payload] = good.split('.');
    const other = await createTestIssuer();
    const forgedSameKid = `${header}.${payload}.${(await other.token({ sub: 'u-1' })).split('.')[2]}`;
    const tamperedPayload = `${header}.${b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: ['admin', 'data-team'] })}.${good.split('.')[2]}`;
    const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const publicJwk = issuer.jwks.keys[0]!;
    const hsWithPublicKey = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid })
      .setSubject('u-1')
      .setIssuer('core-identity')
      .setAudience('core-mesh')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const cases: [string, string, string][] = [
      ['forged signature', forgedSameKid, 'INVALID_TOKEN'],
      ['tampered payload', tamperedPayload, 'INVALID_TOKEN'],
      ['alg none', algNone, 'INVALID_TOKEN'],
      ['HS256 with the public key', hsWithPublicKey, 'INVALID_TOKEN'],
      ['expired', await issuer.token({ ttlSeconds: -120 }), 'TOKEN_EXPIRED'],
      ['wrong issuer', await issuer.token({ iss: 'someone-else' }), 'INVALID_TOKEN'],
      ['wrong audience', await issuer.token({ aud: 'other-mesh' }), 'INVALID_TOKEN'],
      ['another issuer key under the trusted iss', await other.token(), 'INVALID_TOKEN'],
      ['garbage', 'not-a-jwt', 'INVALID_TOKEN'],
      ['three dots of garbage', 'a.b.c', 'INVALID_TOKEN'],
      ['oversized', `${'a'.repeat(9000)}.b.c`, 'INVALID_TOKEN'],
    ];
    for (const [name, token, reason] of cases) {
      const err = await refusal(verifier.verify(token));
      expect({ name, code: err.code, reason: err.reason }).toEqual({ name, code: 'UNAUTHENTICATED', reason });
    }
  });

  it('refuses a token without a subject', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const verifier = createTokenVerifier({
      issuers: [{ issuer: 'core-identity', audience: 'core-mesh', algorithms: ['EdDSA'], jwks: { keys: [{ ...jwk, kid }] } }],
    });
    const token = await new SignJWT({ roles: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer('core-identity')
      .setAudience('core-mesh')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await refusal(verifier.verify(token))).reason).toBe('INVALID_TOKEN');
  });

  it('never serves a cached verification past the token expiry', async () => {
    let now = Date.now();
    const verifier = createTokenVerifier({ issuers: [issuer.trusted], clock: () => new Date(now), clockToleranceSeconds: 0 });
    const token = await issuer.token({ ttlSeconds: 60 });
    await verifier.verify(token);
    await verifier.verify(token);
    now += 61_000;
    expect((await refusal(verifier.verify(token))).reason).toBe('TOKEN_EXPIRED');
  });

  it('refuses only tokens issued before a revocation, cached or not', async () => {
    const revocations = createMemoryRevocationList();
    const verifier = createTokenVerifier({ issuers: [issuer.trusted], revocations });
    const before = await issuer.token({ sub: 'u-9', issuedAt: Math.floor(Date.now() / 1000) - 5 });
    await verifier.verify(before);
    await revocations.revoke('u-9');
    expect((await refusal(verifier.verify(before))).reason).toBe('TOKEN_REVOKED');
    const after = await issuer.token({ sub: 'u-9', issuedAt: Math.floor(Date.now() / 1000) + 2 });
    expect((await verifier.verify(after)).caller.subject).toBe('u-9');
    const someoneElse = await issuer.token({ sub: 'u-10' });
    expect((await verifier.verify(someoneElse)).caller.subject).toBe('u-10');
  });

  it('fetches a remote JWKS and trusts an external OIDC issuer with its own algorithm, roles claim and subject prefix', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'kc-1', alg: 'RS256', use: 'sig' };
    let fetches = 0;
    const server = await startHttpServer(
      (req, res) => {
        fetches++;
        expect(req.url).toBe('/realms/core/protocol/openid-connect/certs');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      },
      0,
      '127.0.0.1',
    );
    try {
      const oidcIssuer = `http://127.0.0.1:${server.port}/realms/core`;
      const issuers = trustedIssuers(
        {
          AUTH_ISSUER: 'core-identity',
          AUTH_AUDIENCE: 'core-mesh',
          AUTH_JWKS_URL: undefined,
          OIDC_ISSUER: oidcIssuer,
          OIDC_AUDIENCE: 'core-gateway',
          OIDC_JWKS_URL: undefined,
          OIDC_ALGORITHMS: 'RS256',
          OIDC_ROLES_CLAIM: 'realm_access.roles',
        },
        issuer.jwks,
      );
      const verifier = createTokenVerifier({ issuers });
      const keycloakToken = (sub: string) =>
        new SignJWT({ realm_access: { roles: ['data-team', 'offline_access'] }, preferred_username: 'budi' })
          .setProtectedHeader({ alg: 'RS256', kid: 'kc-1' })
          .setSubject(sub)
          .setIssuer(oidcIssuer)
          .setAudience('core-gateway')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      const { caller } = await verifier.verify(await keycloakToken('kc-user-1'));
      expect(caller.subject).toBe('oidc:kc-user-1');
      expect(caller.roles).toEqual(['data-team', 'offline_access']);
      await verifier.verify(await keycloakToken('kc-user-2'));
      expect(fetches).toBe(1);
      // The mesh's own tokens are still accepted, and its EdDSA pin is not widened by the OIDC RS256 one.
      expect((await verifier.verify(await issuer.token({ sub: 'u-1' }))).caller.subject).toBe('u-1');
      const rsUnderMeshIssuer = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'kc-1' })
        .setSubject('u-1')
        .setIssuer('core-identity')
        .setAudience('core-mesh')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await refusal(verifier.verify(rsUnderMeshIssuer))).reason).toBe('INVALID_TOKEN');
    } finally {
      await server.close();
    }
  });

  it('answers UNAVAILABLE, not a refusal, while a remote key set cannot be fetched', async () => {
    const verifier = createTokenVerifier({ issuers: [{ ...issuer.trusted, jwks: new URL('http://127.0.0.1:9/.well-known/jwks.json') }] });
    const err = await refusal(verifier.verify(await issuer.token()));
    expect({ code: err.code, reason: err.reason }).toEqual({ code: 'UNAVAILABLE', reason: 'JWKS_UNAVAILABLE' });
  });

  it('refuses configurations that would accept symmetric or no signatures', () => {
    expect(() => createTokenVerifier({ issuers: [{ ...issuer.trusted, algorithms: ['HS256'] }] })).toThrow(/asymmetric/);
    expect(() => createTokenVerifier({ issuers: [{ ...issuer.trusted, algorithms: ['none'] }] })).toThrow(/asymmetric/);
    expect(() => createTokenVerifier({ issuers: [] })).toThrow(/at least one/);
  });
});

describe('redis revocation list', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis(redisUrl(), logger);
    expect(await redisReady(redis)).toBe(true);
  });
  afterAll(() => redis.disconnect());

  it('announces a revocation to every replica and loads earlier ones at start', async () => {
    const prefix = `${uniquePrefix('revocation')}:`;
    const first = await createRedisRevocationList({ redis, logger, prefix });
    const second = await createRedisRevocationList({ redis, logger, prefix });
    try {
      const issuedAt = Date.now() - 1_000;
      expect(second.isRevoked('u-1', issuedAt)).toBe(false);
      await first.revoke('u-1');
      for (let i = 0; i < 50 && !second.isRevoked('u-1', issuedAt); i++) await sleep(20);
      expect(second.isRevoked('u-1', issuedAt)).toBe(true);
      expect(second.isRevoked('u-1', Date.now() + 1_000)).toBe(false);
      expect(second.isRevoked('u-2', issuedAt)).toBe(false);
      const late = await createRedisRevocationList({ redis, logger, prefix });
      expect(late.isRevoked('u-1', issuedAt)).toBe(true);
      await late.close();
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('bearer authenticator', () => {
  it('is anonymous without a header, refuses malformed headers and inactive accounts, and counts refusals', async () => {
    const metrics = createMetrics();
    const disabled = new Set(['u-off']);
    const auth = createBearerAuthenticator({
      verifier: createTokenVerifier({ issuers: [issuer.trusted] }),
      logger,
      metrics,
      isActive: async (caller) => !disabled.has(caller.subject),
    });
    expect(await auth.authenticateHeader(undefined)).toBeUndefined();
    expect((await auth.authenticateHeader(await issuer.bearer(['amo'], { sub: 'u-on' })))?.subject).toBe('u-on');
    expect((await refusal(auth.authenticateHeader('Basic dXNlcjpwYXNz'))).reason).toBe('INVALID_TOKEN');
    expect((await refusal(auth.authenticateHeader('Bearer '))).reason).toBe('INVALID_TOKEN');
    expect((await refusal(auth.authenticateHeader(await issuer.bearer(['amo'], { sub: 'u-off' })))).reason).toBe('ACCOUNT_DISABLED');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/auth_token_rejections_total\{reason="INVALID_TOKEN"\} 2/);
    expect(text).toMatch(/auth_token_rejections_total\{reason="ACCOUNT_DISABLED"\} 1/);
  });
});

describe('access rules', () => {
  const person: Caller = { subject: randomUUID(), roles: ['amo'], claims: { region: 'R01', level: 2 } };
  const service: Caller = { subject: 'service:sync-job', roles: ['data-team'], claims: {} };
  const refusedToken = new DomainError('UNAUTHENTICATED', 'TOKEN_EXPIRED', 'expired');
  const outcome = (rule: Parameters<typeof authorize>[0], context: AuthContext, request?: unknown) => {
    try {
      authorize(rule, context, request);
      return 'allowed';
    } catch (err) {
      return `${(err as DomainError).code}:${(err as DomainError).reason}`;
    }
  };

  it('decides each kind of rule for people, services, anonymous calls and refused tokens', () => {
    const sameRegion = Access.roles(['amo'], (_caller, scope, request) =>
      scope.region === (request as { region: string }).region ? undefined : permissionDenied('OUT_OF_SCOPE', 'another region'),
    );
    const table: [string, ReturnType<typeof outcome>, ReturnType<typeof outcome>, ReturnType<typeof outcome>, ReturnType<typeof outcome>][] = [
      // rule, person, service, anonymous, refused token
      ['public', 'allowed', 'allowed', 'allowed', 'allowed'],
      ['signedIn', 'allowed', 'allowed', 'UNAUTHENTICATED:AUTHENTICATION_REQUIRED', 'UNAUTHENTICATED:TOKEN_EXPIRED'],
      ['user', 'allowed', 'PERMISSION_DENIED:USER_REQUIRED', 'UNAUTHENTICATED:AUTHENTICATION_REQUIRED', 'UNAUTHENTICATED:TOKEN_EXPIRED'],
      ['dataTeam', 'PERMISSION_DENIED:ROLE_REQUIRED', 'allowed', 'UNAUTHENTICATED:AUTHENTICATION_REQUIRED', 'UNAUTHENTICATED:TOKEN_EXPIRED'],
    ];
    const rules = { public: Access.public, signedIn: Access.signedIn, user: Access.user, dataTeam: Access.roles(['data-team']) };
    for (const [name, asPerson, asService, anonymous, refused] of table) {
      const rule = rules[name as keyof typeof rules];
      expect([name, outcome(rule, { caller: person }), outcome(rule, { caller: service }), outcome(rule, {}), outcome(rule, { authRefusal: refusedToken })]).toEqual([
        name,
        asPerson,
        asService,
        anonymous,
        refused,
      ]);
    }
    expect(outcome(sameRegion, { caller: person }, { region: 'R01' })).toBe('allowed');
    expect(outcome(sameRegion, { caller: person }, { region: 'R02' })).toBe('PERMISSION_DENIED:OUT_OF_SCOPE');
  });

  it('guards every operation of an implementation and refuses tables that miss one', async () => {
    const impl = {
      async read(request: { id: string }) {
        return { id: request.id };
      },
      async write() {
        return { ok: true };
      },
      async *watch() {
        yield 1;
        yield 2;
      },
    };
    // Handlers receive (request, context) from nice-grpc; the implementation above ignores the context.
    const guarded = guardService(impl, { read: Access.signedIn, write: Access.roles(['data-team']), watch: Access.signedIn }) as unknown as {
      read(request: unknown, context: AuthContext): Promise<unknown>;
      write(request: unknown, context: AuthContext): Promise<unknown>;
      watch(request: unknown, context: AuthContext): AsyncGenerator<number>;
    };
    await expect(guarded.read({ id: 'x' }, { caller: person })).resolves.toEqual({ id: 'x' });
    await expect(guarded.write(undefined, { caller: person })).rejects.toMatchObject({ reason: 'ROLE_REQUIRED' });
    const seen: number[] = [];
    for await (const n of guarded.watch(undefined, { caller: person })) seen.push(n);
    expect(seen).toEqual([1, 2]);
    await expect(guarded.watch(undefined, {}).next()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(() => guardService(impl, { read: Access.public, write: Access.public } as never)).toThrow(/watch has no declared access rule/);
  });
});
