import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { DomainError, unauthenticated } from '../errors.js';
import type { Caller } from '../grpc/middleware/auth.js';
import type { RevocationList } from './revocation.js';

/** Prefix of service identities' subjects (client-credentials tokens), never a user id. */
export const SERVICE_SUBJECT_PREFIX = 'service:';

/** One issuer whose tokens this process accepts. */
export interface TrustedIssuer {
  /** Exact `iss` value. */
  readonly issuer: string;
  /** Expected `aud` (one of the token's audiences must match). */
  readonly audience: string;
  /** Signature algorithms accepted from this issuer: pinned, never taken from the token. */
  readonly algorithms: readonly string[];
  /** Where the public keys are: a JWKS URL (fetched on first use, cached, refetched on unknown `kid`) or the keys themselves. */
  readonly jwks: URL | JSONWebKeySet;
  /**
   * Path of the roles array in the payload: `roles` for the mesh's own tokens,
   * `realm_access.roles` for Keycloak. Roles a path does not yield are none.
   */
  readonly rolesClaim?: string;
  /** Prefixed to `sub` so subjects of different issuers never collide; '' for the mesh's own issuer. */
  readonly subjectPrefix?: string;
}

/** A verified access token. */
export interface VerifiedToken {
  readonly caller: Caller;
  /** `exp` in epoch milliseconds. */
  readonly expiresAt: number;
  /** `iat` in epoch milliseconds. */
  readonly issuedAt: number;
}

/** Verifies bearer tokens against the trusted issuers. */
export interface TokenVerifier {
  /**
   * The caller a token names, or an UNAUTHENTICATED DomainError (reason INVALID_TOKEN,
   * TOKEN_EXPIRED or TOKEN_REVOKED) saying why it is refused.
   */
  verify(token: string): Promise<VerifiedToken>;
}

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  readonly issuers: readonly TrustedIssuer[];
  /** Subjects revoked since their token was issued (disabled accounts); none when omitted. */
  readonly revocations?: RevocationList;
  /** Clock for expiry checks (tests). */
  readonly clock?: () => Date;
  /** Verified tokens remembered so a repeated token costs a map lookup; default 10 000, 0 disables. */
  readonly cacheSize?: number;
  /** Longest a verification is reused (it never outlives the token); default 60 s. */
  readonly cacheTtlMs?: number;
  /** Accepted clock difference with the issuer for `exp`/`nbf`/`iat`, seconds; default 30. */
  readonly clockToleranceSeconds?: number;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Longer than any real access token; refusing early bounds the work a hostile header causes. */
const MAX_TOKEN_LENGTH = 8192;

function refuse(reason: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED', message: string): DomainError {
  return unauthenticated(reason, message);
}

function isJoseError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_J');
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Creates the verifier every hop uses (gateway, subgraph-facing services, identity itself):
 * the issuer is looked up from the unverified `iss` and must be trusted; the signature is checked
 * with that issuer's keys and pinned algorithms (so `alg: none` and HS256-with-a-public-key fail);
 * `aud`, `exp`, `nbf` are checked; `sub`, `iat`, `exp` are required. Successful verifications are
 * cached (bounded, never past `exp`); the revocation list is consulted on every call, cached or not.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (options.issuers.length === 0) throw new Error('createTokenVerifier needs at least one trusted issuer');
  const clock = options.clock ?? (() => new Date());
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const trusted = new Map(
    options.issuers.map((issuer) => {
      if (issuer.algorithms.length === 0) throw new Error(`trusted issuer ${issuer.issuer} names no algorithms`);
      if (issuer.algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
        throw new Error(`trusted issuer ${issuer.issuer}: only asymmetric algorithms may be accepted`);
      }
      const keys =
        issuer.jwks instanceof URL
          ? createRemoteJWKSet(issuer.jwks, { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 5_000 })
          : createLocalJWKSet(issuer.jwks);
      return [issuer.issuer, { ...issuer, keys }] as const;
    }),
  );
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = cacheSize > 0 ? new LRUCache<string, VerifiedToken>({ max: cacheSize }) : undefined;

  const checkLive = (verified: VerifiedToken, now: number): VerifiedToken => {
    if (verified.expiresAt + clockTolerance * 1000 <= now) throw refuse('TOKEN_EXPIRED', 'the access token has expired');
    if (options.revocations?.isRevoked(verified.caller.subject, verified.issuedAt)) {
      throw refuse('TOKEN_REVOKED', 'the access token was revoked (account disabled or credentials reset)');
    }
    return verified;
  };

  return {
    async verify(token) {
      const now = clock().getTime();
      const cached = cache?.get(token);
      if (cached) return checkLive(cached, now);
      if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw refuse('INVALID_TOKEN', 'the bearer token is not a JWT');

      let issuerName: unknown;
      try {
        issuerName = decodeJwt(token).iss;
      } catch {
        throw refuse('INVALID_TOKEN', 'the bearer token is not a JWT');
      }
      const issuer = typeof issuerName === 'string' ? trusted.get(issuerName) : undefined;
      if (!issuer) throw refuse('INVALID_TOKEN', 'the access token was not issued by a trusted issuer');

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, issuer.keys, {
          algorithms: [...issuer.algorithms],
          issuer: issuer.issuer,
          audience: issuer.audience,
          currentDate: new Date(now),
          clockTolerance,
          requiredClaims: ['sub', 'exp', 'iat'],
        }));
      } catch (err) {
        // The keys could not be fetched (refused connection, timeout, bad answer): not the caller's
        // fault, but no token can be judged until they can.
        const keysUnavailable = () =>
          new DomainError('UNAVAILABLE', 'JWKS_UNAVAILABLE', `the signing keys of ${issuer.issuer} are unavailable`);
        if (!isJoseError(err)) {
          if (issuer.jwks instanceof URL) throw keysUnavailable();
          throw err;
        }
        if (err.code === 'ERR_JWT_EXPIRED') throw refuse('TOKEN_EXPIRED', 'the access token has expired');
        if (err.code === 'ERR_JWKS_TIMEOUT' || err.code === 'ERR_JOSE_GENERIC') throw keysUnavailable();
        throw refuse('INVALID_TOKEN', `the access token is not valid (${err.code})`);
      }
      const rolesValue = claimAt(payload, issuer.rolesClaim ?? 'roles');
      const roles = Array.isArray(rolesValue) ? rolesValue.filter((r): r is string => typeof r === 'string') : [];
      if (typeof payload.sub !== 'string' || payload.sub === '') throw refuse('INVALID_TOKEN', 'the access token has no subject');
      const verified: VerifiedToken = {
        caller: { subject: `${issuer.subjectPrefix ?? ''}${payload.sub}`, roles, token, claims: payload as Record<string, unknown> },
        expiresAt: (payload.exp as number) * 1000,
        issuedAt: (payload.iat as number) * 1000,
      };
      checkLive(verified, now);
      cache?.set(token, verified, { ttl: Math.max(1, Math.min(cacheTtlMs, verified.expiresAt - now)) });
      return verified;
    },
  };
}

/** The token of an `authorization: Bearer <token>` header; undefined when the header is absent, a refusal when malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  const space = value.indexOf(' ');
  if (space === -1 || value.slice(0, space).toLowerCase() !== 'bearer') {
    throw refuse('INVALID_TOKEN', 'the authorization header is not "Bearer <token>"');
  }
  const token = value.slice(space + 1).trim();
  if (token === '') throw refuse('INVALID_TOKEN', 'the authorization header carries no token');
  return token;
}
export type { JSONWebKeySet } from 'jose';
