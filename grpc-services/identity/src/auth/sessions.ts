import type { Logger } from '@core/platform';
import type { Counter } from 'prom-client';
import {
  accountDisabled,
  accountLocked,
  invalidClient,
  invalidCredentials,
  invalidRefreshToken,
  refreshTokenReused,
} from '../domain/identity.errors.js';
import { classifyLogin } from '../domain/user.rules.js';
import type { LoginAttemptStore, Remote } from '../data/login-attempt.store.js';
import type { IssuedRefreshToken, RefreshTokenStore } from '../data/refresh-token.store.js';
import type { ServiceClientStore } from '../data/service-client.store.js';
import type { UserRecord, UserStore } from '../data/user.store.js';
import { SERVICE_SUBJECT_PREFIX, type AccessClaims, type AccessTokenIssuer } from './access-tokens.js';
import type { PasswordHasher } from './passwords.js';

/** An access token with its expiry. */
export interface AccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/** What a login or refresh hands out. */
export interface Session {
  readonly access: AccessToken;
  readonly refresh: IssuedRefreshToken;
  readonly user: UserRecord;
}

/** Sign-in flows: login, refresh rotation, logout, client credentials. */
export interface Sessions {
  login(login: string, password: string, remote: Remote): Promise<Session>;
  refresh(refreshToken: string): Promise<Omit<Session, 'user'>>;
  logout(refreshToken: string): Promise<void>;
  issueServiceToken(clientId: string, secret: string): Promise<AccessToken>;
  /** Checks a user's current password (ChangePassword); counts like a login toward the lock. */
  verifyCurrentPassword(user: UserRecord, password: string, remote: Remote): Promise<void>;
}

/** The claims of a user's access tokens: id, name, roles and scope. */
export function userClaims(user: UserRecord): AccessClaims {
  return {
    sub: user.id,
    name: user.name,
    roles: user.roles,
    ...(user.scope.approvalLevel !== null ? { level: user.scope.approvalLevel } : {}),
    unit: user.scope.unit,
    area: user.scope.area,
    region: user.scope.region,
  };
}

/** Dependencies of {@link createSessions}. */
export interface SessionDeps {
  readonly users: UserStore;
  readonly attempts: LoginAttemptStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly clients: ServiceClientStore;
  readonly passwords: PasswordHasher;
  readonly accessTokens: AccessTokenIssuer;
  readonly clock: () => Date;
  readonly logger: Logger;
  /** identity_logins_total{outcome}. */
  readonly logins: Counter<'outcome'>;
}

/** The sign-in flows over the stores. */
export function createSessions(deps: SessionDeps): Sessions {
  const { users, attempts, refreshTokens, clients, passwords, accessTokens, clock, logger, logins } = deps;

  /**
   * One password check against the lock: reserve an attempt (refused while locked), verify,
   * record the outcome. A failure that fills the window locks the account at once.
   */
  async function checkPassword(user: UserRecord, passwordHash: string, login: string, password: string, remote: Remote): Promise<void> {
    const reservation = await attempts.reserve(user.id, login, remote, clock());
    if (reservation.kind === 'locked') {
      logins.inc({ outcome: 'locked' });
      logger.warn({ userId: user.id, lockedUntil: reservation.until }, 'login refused: account locked');
      throw accountLocked(reservation.until);
    }
    let matches = false;
    try {
      matches = await passwords.verify(passwordHash, password);
    } finally {
      // Ends the attempt even when hashing throws, so a pending attempt never lingers as a failure.
      if (!matches) {
        const lockedUntil = await attempts.finish(reservation.attemptId, user.id, 'failed', clock());
        if (lockedUntil) logger.warn({ userId: user.id, lockedUntil }, 'account locked after too many failed logins');
      }
    }
    if (!matches) {
      logins.inc({ outcome: 'failed' });
      throw invalidCredentials();
    }
    const outcome = user.status === 'active' ? 'succeeded' : 'disabled';
    await attempts.finish(reservation.attemptId, user.id, outcome, clock());
    if (outcome === 'disabled') {
      logins.inc({ outcome: 'disabled' });
      throw accountDisabled();
    }
  }

  return {
    async login(login, password, remote) {
      const found = await users.findForLogin(classifyLogin(login));
      if (!found) {
        await passwords.verifyNothing(password);
        await attempts.recordUnknown(login.slice(0, 254), remote, clock());
        logins.inc({ outcome: 'unknown' });
        throw invalidCredentials();
      }
      const { user, passwordHash } = found;
      await checkPassword(user, passwordHash, login, password, remote);
      if (passwords.needsRehash(passwordHash)) {
        await users.setPasswordHash(user.id, await passwords.hash(password), clock());
      }
      const now = clock();
      const refresh = await refreshTokens.issue(user.id, now);
      const access = await accessTokens.issue(userClaims(user));
      logins.inc({ outcome: 'succeeded' });
      logger.info({ userId: user.id }, 'user signed in');
      return { access, refresh, user: { ...user, lockedUntil: null } };
    },

    async refresh(refreshToken) {
      const rotation = await refreshTokens.rotate(refreshToken, clock());
      switch (rotation.kind) {
        case 'invalid':
          throw invalidRefreshToken();
        case 'reused':
          logger.warn({ userId: rotation.userId, familyId: rotation.familyId }, 'spent refresh token presented again; family revoked');
          throw refreshTokenReused();
        case 'disabled':
          throw accountDisabled();
        case 'rotated': {
          const user = await users.findById(rotation.userId);
          if (!user) throw invalidRefreshToken();
          return { access: await accessTokens.issue(userClaims(user)), refresh: rotation.next };
        }
      }
    },

    async logout(refreshToken) {
      const revoked = await refreshTokens.revokeFamilyOf(refreshToken, clock(), 'logout');
      logger.info({ revoked }, 'logout');
    },

    async issueServiceToken(clientId, secret) {
      const client = await clients.authenticate(clientId, secret);
      if (!client) {
        logger.warn({ clientId: clientId.slice(0, 64) }, 'client credentials refused');
        throw invalidClient();
      }
      return accessTokens.issue({ sub: `${SERVICE_SUBJECT_PREFIX}${client.clientId}`, name: client.displayName, roles: client.roles });
    },

    async verifyCurrentPassword(user, password, remote) {
      const hash = await users.passwordHashOf(user.id);
      if (hash === undefined) throw invalidCredentials();
      await checkPassword(user, hash, user.username ?? user.email ?? user.nip ?? user.id, password, remote);
    },
  };
}
