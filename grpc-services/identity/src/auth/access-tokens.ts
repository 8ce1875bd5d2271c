import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { invalidAccessToken } from '../domain/identity.errors.js';
import { SIGNING_ALGORITHM, type SigningKey } from './signing-key.js';

/** What an access token says about its subject (DESIGN §4.2), besides iss/aud/iat/exp/jti. */
export interface AccessClaims {
  /** User id, or `service:<client_id>` for a service identity. */
  readonly sub: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** Approval level 1–6; absent when the subject approves nothing. */
  readonly level?: number;
  readonly unit?: string;
  readonly area?: string;
  readonly region?: string;
}

/** A verified token's payload. */
export type VerifiedClaims = JWTPayload & { sub: string; roles: string[] };

/** Prefix of service identities' subjects, so a service can never be mistaken for a user id. */
export const SERVICE_SUBJECT_PREFIX = 'service:';

/** Settings shared by issuing and verifying. */
export interface TokenSettings {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  readonly clock: () => Date;
}

/** Signs access tokens. */
export interface AccessTokenIssuer {
  issue(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }>;
}

/** Signs EdDSA JWTs with the `kid` of the service key, a fresh `jti` and a `ttlSeconds` lifetime. */
export function createAccessTokenIssuer(settings: TokenSettings): AccessTokenIssuer {
  return {
    async issue(claims) {
      const issuedAt = Math.floor(settings.clock().getTime() / 1000);
      const expiresAt = issuedAt + settings.ttlSeconds;
      const payload: JWTPayload = { name: claims.name, roles: [...claims.roles] };
      // Empty scope parts are left out: a verifier reads "absent" as "not bound".
      if (claims.level !== undefined) payload.level = claims.level;
      if (claims.unit) payload.unit = claims.unit;
      if (claims.area) payload.area = claims.area;
      if (claims.region) payload.region = claims.region;
      const token = await new SignJWT(payload)
        .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: settings.key.kid, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(settings.key.privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}

function isJoseError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_J');
}

/**
 * Verifies an access token: EdDSA only (so `alg: none` and HS256-with-the-public-key tricks fail),
 * this service's `kid`, issuer, audience and expiry (at the injected clock), and the claims the
 * mesh relies on. Any failure is UNAUTHENTICATED.
 */
export async function verifyAccessToken(token: string, settings: Omit<TokenSettings, 'ttlSeconds'>): Promise<VerifiedClaims> {
  let payload: JWTPayload;
  try {
    const verified = await jwtVerify(token, settings.key.publicKey, {
      algorithms: [SIGNING_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      currentDate: settings.clock(),
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    });
    if (verified.protectedHeader.kid !== settings.key.kid) throw invalidAccessToken('INVALID_TOKEN', 'unknown signing key');
    payload = verified.payload;
  } catch (err) {
    if (!isJoseError(err)) throw err;
    if (err.code === 'ERR_JWT_EXPIRED') throw invalidAccessToken('TOKEN_EXPIRED', 'the access token has expired');
    throw invalidAccessToken('INVALID_TOKEN', `the access token is not valid (${err.code})`);
  }
  const roles = payload.roles;
  if (typeof payload.sub !== 'string' || payload.sub === '' || !Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw invalidAccessToken('INVALID_TOKEN', 'the access token lacks its subject or roles');
  }
  return payload as VerifiedClaims;
}
