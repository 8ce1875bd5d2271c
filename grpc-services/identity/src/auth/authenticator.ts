import { DomainError, type Authenticator, type Caller, type Logger } from '@core/platform';
import type { Counter } from 'prom-client';
import { invalidAccessToken } from '../domain/identity.errors.js';
import { SERVICE_SUBJECT_PREFIX, verifyAccessToken, type TokenSettings, type VerifiedClaims } from './access-tokens.js';

/** Who may still act: the authenticator refuses tokens of disabled users and clients. */
export interface PrincipalStatus {
  userActive(userId: string): Promise<boolean>;
  clientActive(clientId: string): Promise<boolean>;
}

const BEARER = /^Bearer +([A-Za-z0-9_\-.=]+)$/i;

/**
 * The identity service's own authenticator for the platform's auth seam: a missing
 * `authorization` header is anonymous (public RPCs still work, the others refuse); anything else
 * must be a valid bearer token of this service, whose subject still exists and is enabled.
 * Every rejection is UNAUTHENTICATED, logged and counted by reason.
 */
export function createIdentityAuthenticator(options: {
  readonly settings: Omit<TokenSettings, 'ttlSeconds'>;
  readonly principals: PrincipalStatus;
  readonly logger: Logger;
  readonly rejections: Counter<'reason'>;
}): Authenticator {
  const { settings, principals, logger, rejections } = options;
  const reject = (reason: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'ACCOUNT_DISABLED', message: string) => {
    rejections.inc({ reason });
    logger.warn({ reason }, `bearer token rejected: ${message}`);
    return invalidAccessToken(reason, message);
  };

  return async (metadata): Promise<Caller | undefined> => {
    const header = metadata.get('authorization');
    if (header === undefined) return undefined;
    const match = BEARER.exec(String(header).trim());
    if (!match) throw reject('INVALID_TOKEN', 'the authorization header is not "Bearer <token>"');
    const token = match[1]!;
    let claims: VerifiedClaims;
    try {
      claims = await verifyAccessToken(token, settings);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      throw reject(err.reason === 'TOKEN_EXPIRED' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', err.message);
    }
    const active = claims.sub.startsWith(SERVICE_SUBJECT_PREFIX)
      ? await principals.clientActive(claims.sub.slice(SERVICE_SUBJECT_PREFIX.length))
      : await principals.userActive(claims.sub);
    if (!active) throw reject('ACCOUNT_DISABLED', 'the token subject is disabled or no longer exists');
    return { subject: claims.sub, roles: claims.roles, token, claims };
  };
}
