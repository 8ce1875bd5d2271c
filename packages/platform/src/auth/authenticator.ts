import { Counter } from 'prom-client';
import { z } from 'zod';
import { DomainError, unauthenticated } from '../errors.js';
import type { Authenticator, Caller } from '../grpc/middleware/auth.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import { createMemoryRevocationList, createRedisRevocationList, type RevocationList } from './revocation.js';
import { bearerToken, createTokenVerifier, type TokenVerifier, type TrustedIssuer } from './verifier.js';

const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v));

/**
 * Token trust settings every verifying process reads: the mesh's own issuer (identity) and,
 * optionally, an external OIDC issuer such as Keycloak.
 */
export const authConfig = {
  /** `iss` of the mesh's own tokens (identity's IDENTITY_ISSUER). */
  AUTH_ISSUER: z.string().min(1).default('core-identity'),
  /** `aud` the mesh's tokens must carry (identity's IDENTITY_AUDIENCE). */
  AUTH_AUDIENCE: z.string().min(1).default('core-mesh'),
  /** identity's JWKS, e.g. http://identity:9465/.well-known/jwks.json; required outside the embedded mode. */
  AUTH_JWKS_URL: optionalText().pipe(z.union([z.undefined(), z.url({ protocol: /^https?$/ })])),
  /** An external OIDC issuer trusted in addition (exact `iss`, e.g. https://sso.example.id/realms/core). */
  OIDC_ISSUER: optionalText(),
  /** Its audience (Keycloak: the client id the tokens are minted for). */
  OIDC_AUDIENCE: optionalText(),
  /** Its JWKS; default `<OIDC_ISSUER>/protocol/openid-connect/certs` (Keycloak's path). */
  OIDC_JWKS_URL: optionalText().pipe(z.union([z.undefined(), z.url({ protocol: /^https?$/ })])),
  /** Comma-separated algorithms accepted from it; default RS256. */
  OIDC_ALGORITHMS: z.string().default('RS256'),
  /** Where its tokens carry roles; default Keycloak's `realm_access.roles`. */
  OIDC_ROLES_CLAIM: z.string().min(1).default('realm_access.roles'),
};

/** The parsed {@link authConfig} fragment. */
export type AuthConfig = {
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_JWKS_URL: string | undefined;
  OIDC_ISSUER: string | undefined;
  OIDC_AUDIENCE: string | undefined;
  OIDC_JWKS_URL: string | undefined;
  OIDC_ALGORITHMS: string;
  OIDC_ROLES_CLAIM: string;
};

/** The mesh's own tokens: EdDSA only. */
export const MESH_TOKEN_ALGORITHMS = ['EdDSA'] as const;

/**
 * The issuers an {@link AuthConfig} trusts. `ownJwks` replaces AUTH_JWKS_URL when the keys are at
 * hand (the embedded mode and identity itself). Throws when the mesh's keys are nowhere, or the
 * OIDC settings are incomplete.
 */
export function trustedIssuers(config: AuthConfig, ownJwks?: TrustedIssuer['jwks']): TrustedIssuer[] {
  const jwks = ownJwks ?? (config.AUTH_JWKS_URL ? new URL(config.AUTH_JWKS_URL) : undefined);
  if (!jwks) throw new Error('AUTH_JWKS_URL is required: where identity publishes its JWKS');
  const issuers: TrustedIssuer[] = [
    { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, algorithms: [...MESH_TOKEN_ALGORITHMS], jwks, rolesClaim: 'roles', subjectPrefix: '' },
  ];
  if (config.OIDC_ISSUER) {
    if (!config.OIDC_AUDIENCE) throw new Error('OIDC_AUDIENCE is required when OIDC_ISSUER is set');
    if (config.OIDC_ISSUER === config.AUTH_ISSUER) throw new Error('OIDC_ISSUER must differ from AUTH_ISSUER');
    const algorithms = config.OIDC_ALGORITHMS.split(',').map((a) => a.trim()).filter(Boolean);
    issuers.push({
      issuer: config.OIDC_ISSUER,
      audience: config.OIDC_AUDIENCE,
      algorithms,
      jwks: new URL(config.OIDC_JWKS_URL ?? `${config.OIDC_ISSUER.replace(/\/$/, '')}/protocol/openid-connect/certs`),
      rolesClaim: config.OIDC_ROLES_CLAIM,
      subjectPrefix: 'oidc:',
    });
  }
  return issuers;
}

/** Options of {@link createBearerAuthenticator}. */
export interface BearerAuthenticatorOptions {
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  /** Counts refusals by reason as `<prefix>auth_token_rejections_total`. */
  readonly metrics?: Metrics;
  /**
   * A further check of the verified caller (identity consults its own accounts table); undefined
   * when still allowed, otherwise the refusal reason.
   */
  readonly isActive?: (caller: Caller) => Promise<boolean>;
}

/** Verifies a bearer token the way every hop does, logging and counting refusals. */
export interface BearerAuthentication {
  /** The caller of an `authorization` header value; undefined without one; throws UNAUTHENTICATED when refused. */
  authenticateHeader(header: string | string[] | undefined): Promise<Caller | undefined>;
  /** For `createGrpcServer({ authenticate })`: reads the `authorization` metadata. */
  readonly authenticate: Authenticator;
}

/**
 * The platform's authentication for gRPC servers and HTTP edges: no `authorization` is anonymous;
 * a present one must be a valid bearer token of a trusted issuer (and, with `isActive`, of an
 * account still enabled). Refusals are UNAUTHENTICATED DomainErrors, logged at warn with their
 * reason and counted.
 */
export function createBearerAuthenticator(options: BearerAuthenticatorOptions): BearerAuthentication {
  const { verifier, logger, isActive } = options;
  const rejections = options.metrics
    ? new Counter({
        name: `${options.metrics.prefix}auth_token_rejections_total`,
        help: 'Bearer tokens refused, by reason',
        labelNames: ['reason'],
        registers: [options.metrics.registry],
      })
    : undefined;
  const refused = (err: DomainError): DomainError => {
    rejections?.inc({ reason: err.reason });
    logger.warn({ reason: err.reason }, `bearer token rejected: ${err.message}`);
    return err;
  };
  const authenticateHeader = async (header: string | string[] | undefined): Promise<Caller | undefined> => {
    try {
      const token = bearerToken(header);
      if (token === undefined) return undefined;
      const { caller } = await verifier.verify(token);
      if (isActive && !(await isActive(caller))) {
        throw unauthenticated('ACCOUNT_DISABLED', 'the token subject is disabled or no longer exists');
      }
      return caller;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'UNAUTHENTICATED') throw refused(err);
      throw err;
    }
  };
  return {
    authenticateHeader,
    authenticate: (metadata) => authenticateHeader(metadata.get('authorization')),
  };
}

/** Options of {@link createServiceAuthentication}. */
export interface ServiceAuthenticationOptions {
  readonly config: AuthConfig;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** identity's public keys when at hand (embedded mode, tests); otherwise AUTH_JWKS_URL is fetched. */
  readonly jwks?: JSONWebKeySet;
  /** Shared revocation list (embedded mode); otherwise Redis when given, else in-process. */
  readonly revocations?: RevocationList;
  readonly redis?: Redis;
}

/** A service's token verification, ready for `createGrpcServer({ authenticate })` or an HTTP edge. */
export interface ServiceAuthentication extends BearerAuthentication {
  readonly revocations: RevocationList;
  close(): Promise<void>;
}

/**
 * What every verifying deployable sets up the same way: the trusted issuers from its auth
 * settings, the revocation list (shared, Redis-announced or in-process), and the bearer
 * authenticator over them.
 */
export async function createServiceAuthentication(options: ServiceAuthenticationOptions): Promise<ServiceAuthentication> {
  const { config, logger } = options;
  const ownsRevocations = !options.revocations;
  const revocations =
    options.revocations ??
    (options.redis ? await createRedisRevocationList({ redis: options.redis, logger }) : createMemoryRevocationList());
  const verifier = createTokenVerifier({ issuers: trustedIssuers(config, options.jwks), revocations });
  const bearer = createBearerAuthenticator({ verifier, logger, metrics: options.metrics });
  return {
    ...bearer,
    revocations,
    close: async () => {
      if (ownsRevocations) await revocations.close();
    },
  };
}
