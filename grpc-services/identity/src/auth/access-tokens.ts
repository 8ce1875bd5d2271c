import { randomUUID } from 'node:crypto';
import { SERVICE_SUBJECT_PREFIX } from '@core/platform';
import { SignJWT, type JWTPayload } from 'jose';
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

export { SERVICE_SUBJECT_PREFIX };

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
      // `iat` keeps milliseconds (NumericDate may be fractional, RFC 7519 §2): a revocation and a
      // sign-in within the same second must still be ordered, so a token issued right after an
      // administrator resets a password is not mistaken for one issued before.
      const now = settings.clock().getTime();
      const issuedAt = now / 1000;
      const expiresAt = Math.floor(issuedAt) + settings.ttlSeconds;
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
