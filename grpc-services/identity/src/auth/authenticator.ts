import { DomainError, type Authenticator, type Caller, type Logger } from '@core/platform';
import type { Metadata } from 'nice-grpc';
import type { Counter } from 'prom-client';
import { invalidAccessToken } from '../domain/identity.errors.js';
import { SERVICE_SUBJECT_PREFIX, verifyAccessToken, type TokenSettings, type VerifiedClaims } from './access-tokens.js';

/** Who may still act: the authenticator refuses tokens of disabled users and clients. */
export interface PrincipalStatus {
  userActive(userId: string): Promise<boolean>;
  clientActive(clientId: string): Promise<boolean>;
}

const BEARER = /^Bearer +([A-Za-z0-9_\-.=]+)$/i;

/** The identity service's authenticator and what it remembers of the tokens it refused. */
export interface IdentityAuthenticator {
  /** For `createGrpcServer({ authenticate })`. */
  readonly authenticate: Authenticator;
  /** The UNAUTHENTICATED error of a call whose bearer token was refused; undefined when none was. */
  rejectionOf(metadata: Metadata): DomainError | undefined;
}

/**
 * The identity service's own token verification on the platform's auth seam: no
 * `authorization` header is anonymous; otherwise the header must carry a valid bearer token of
 * this service whose subject still exists and is enabled. A refused token makes the call
 * anonymous and is remembered for it: RPCs that need a caller answer with the refusal
 * (UNAUTHENTICATED: INVALID_TOKEN, TOKEN_EXPIRED or ACCOUNT_DISABLED), while public RPCs go on,
 * so a client that still attaches its expired access token can refresh or sign in again.
 * Every refusal is logged and counted by reason.
 */
export function createIdentityAuthenticator(options: {
  readonly settings: Omit<TokenSettings, 'ttlSeconds'>;
  readonly principals: PrincipalStatus;
  readonly logger: Logger;
  readonly rejections: Counter<'reason'>;
}): IdentityAuthenticator {
  const { settings, principals, logger, rejections } = options;
  const refused = new WeakMap<Metadata, DomainError>();
  const reject = (metadata: Metadata, reason: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'ACCOUNT_DISABLED', message: string) => {
    rejections.inc({ reason });
    logger.warn({ reason }, `bearer token rejected: ${message}`);
    refused.set(metadata, invalidAccessToken(reason, message));
    return undefined;
  };

  const authenticate: Authenticator = async (metadata): Promise<Caller | undefined> => {
    const header = metadata.get('authorization');
    if (header === undefined) return undefined;
    const match = BEARER.exec(String(header).trim());
    if (!match) return reject(metadata, 'INVALID_TOKEN', 'the authorization header is not "Bearer <token>"');
    const token = match[1]!;
    let claims: VerifiedClaims;
    try {
      claims = await verifyAccessToken(token, settings);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return reject(metadata, err.reason === 'TOKEN_EXPIRED' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', err.message);
    }
    const active = claims.sub.startsWith(SERVICE_SUBJECT_PREFIX)
      ? await principals.clientActive(claims.sub.slice(SERVICE_SUBJECT_PREFIX.length))
      : await principals.userActive(claims.sub);
    if (!active) return reject(metadata, 'ACCOUNT_DISABLED', 'the token subject is disabled or no longer exists');
    return { subject: claims.sub, roles: claims.roles, token, claims };
  };

  return { authenticate, rejectionOf: (metadata) => refused.get(metadata) };
}
