import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { TrustedIssuer } from '@core/platform';
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

/** Claims a test token may carry (DESIGN §4.2), plus overrides of the registered ones. */
export interface TestTokenClaims {
  sub?: string;
  name?: string;
  roles?: string[];
  level?: number;
  unit?: string;
  area?: string;
  region?: string;
  iss?: string;
  aud?: string;
  /** Lifetime in seconds (negative for an already expired token); default 900. */
  ttlSeconds?: number;
  /** `iat` in epoch seconds; default now. */
  issuedAt?: number;
}

/** A throwaway Ed25519 issuer shaped like identity's, for services tested without identity running. */
export interface TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: JSONWebKeySet;
  /** The TrustedIssuer a verifier needs to accept this issuer's tokens. */
  readonly trusted: TrustedIssuer;
  /** A signed access token. */
  token(claims?: TestTokenClaims): Promise<string>;
  /** `authorization` header value for a token with these roles. */
  bearer(roles: string[], claims?: TestTokenClaims): Promise<string>;
}

/** Creates a test issuer (default iss `core-identity`, aud `core-mesh`, like identity's defaults). */
export async function createTestIssuer(options: { issuer?: string; audience?: string } = {}): Promise<TestIssuer> {
  const issuer = options.issuer ?? 'core-identity';
  const audience = options.audience ?? 'core-mesh';
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const jwk: JWK = { kty, crv, x };
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] };
  const token = async (claims: TestTokenClaims = {}) => {
    const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { name: claims.name ?? 'Test User', roles: claims.roles ?? [] };
    for (const key of ['level', 'unit', 'area', 'region'] as const) if (claims[key] !== undefined) payload[key] = claims[key];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setSubject(claims.sub ?? randomUUID())
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (claims.ttlSeconds ?? 900))
      .setJti(randomUUID())
      .sign(privateKey);
  };
  return {
    issuer,
    audience,
    jwks,
    trusted: { issuer, audience, algorithms: ['EdDSA'], jwks, rolesClaim: 'roles', subjectPrefix: '' },
    token,
    bearer: async (roles, claims) => `Bearer ${await token({ ...claims, roles })}`,
  };
}
