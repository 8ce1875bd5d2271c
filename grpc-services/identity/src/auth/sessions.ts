import { createHash } from 'node:crypto';
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
import type { AuditTrail } from '../data/audit-trail.js';
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

/**
 * Sign-in flows: login, refresh rotation, logout, client credentials. Each records what it did in
 * the call's audit trail: a session it opens, rotates or ends commits with its audit event, and
 * every refusal is recorded with its reason (never with the password or token presented).
 */
export interface Sessions {
  login(login: string, password: string, remote: Remote, trail: AuditTrail): Promise<Session>;
  refresh(refreshToken: string, trail: AuditTrail): Promise<Omit<Session, 'user'>>;
  logout(refreshToken: string, trail: AuditTrail): Promise<void>;
  issueServiceToken(clientId: string, secret: string, trail: AuditTrail): Promise<AccessToken>;
  /** Checks a user's current password (ChangePassword); counts like a login toward the lock. */
  verifyCurrentPassword(user: UserRecord, password: string, remote: Remote, trail: AuditTrail): Promise<void>;
}

/** The audit target of a user account. */
export function userTarget(userId: string) {
  return { type: 'user', id: userId };
}

/** The account a session belongs to, as the actor of its events. */
function actorOf(user: Pick<UserRecord, 'id' | 'name'>) {
  return { subject: user.id, name: user.name };
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
   * record the outcome. A failure that fills the window locks the account at once. Every lock is
   * written in one transaction with the refused event that reports it (the stores join the
   * trail's transaction): neither commits without the other.
   */
  async function checkPassword(
    user: UserRecord,
    passwordHash: string,
    login: string,
    password: string,
    remote: Remote,
    trail: AuditTrail,
  ): Promise<void> {
    const target = userTarget(user.id);
    // Refused while locked; a reservation that finds the window already full locks the account here.
    const reservation = await trail.committed(
      () => attempts.reserve(user.id, login, remote, clock()),
      (reserved) =>
        reserved.kind === 'locked' ? { target, after: { lockedUntil: reserved.until }, refusal: accountLocked(reserved.until) } : undefined,
    );
    if (reservation.kind === 'locked') {
      logins.inc({ outcome: 'locked' });
      logger.warn({ userId: user.id, lockedUntil: reservation.until }, 'login refused: account locked');
      throw accountLocked(reservation.until);
    }
    /**
     * Ends the attempt as failed, with its refused event in the same transaction. `recordUnlocked`
     * false records an event only when the failure locked the account (hashing threw: the call
     * fails with that error, yet the lock it caused is recorded).
     */
    const finishFailed = async (recordUnlocked: boolean): Promise<Date | undefined> => {
      const lockedUntil = await trail.committed(
        () => attempts.finish(reservation.attemptId, user.id, 'failed', clock()),
        (until) =>
          until || recordUnlocked ? { target, after: until ? { lockedUntil: until } : undefined, refusal: invalidCredentials() } : undefined,
      );
      if (lockedUntil) logger.warn({ userId: user.id, lockedUntil }, 'account locked after too many failed logins');
      return lockedUntil;
    };
    let matches: boolean;
    try {
      matches = await passwords.verify(passwordHash, password);
    } catch (err) {
      // Ends the attempt even when hashing throws, so a pending attempt never lingers as a failure.
      // The hashing error is what the call fails with; a failure to end the attempt is logged (the
      // pending attempt still counts as a failure until the purge).
      await finishFailed(false).catch((finishError: unknown) =>
        logger.error({ err: finishError, userId: user.id }, 'could not end a login attempt after the password check failed'),
      );
      throw err;
    }
    if (!matches) {
      // The failure that locks the account says so: the lock is what an administrator looks for.
      await finishFailed(true);
      logins.inc({ outcome: 'failed' });
      throw invalidCredentials();
    }
    const outcome = user.status === 'active' ? 'succeeded' : 'disabled';
    await attempts.finish(reservation.attemptId, user.id, outcome, clock());
    if (outcome === 'disabled') {
      logins.inc({ outcome: 'disabled' });
      const error = accountDisabled();
      await trail.refused(error, { target });
      throw error;
    }
  }

  return {
    async login(login, password, remote, trail) {
      const found = await users.findForLogin(classifyLogin(login));
      if (!found) {
        await passwords.verifyNothing(password);
        // The login text names no account, and people type passwords into login fields: neither the
        // attempt log nor the audit log (readable by every administrator) keeps it, only a
        // fingerprint that correlates repeats.
        const fingerprint = `sha256:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex').slice(0, 16)}`;
        await attempts.recordUnknown(fingerprint, remote, clock());
        logins.inc({ outcome: 'unknown' });
        const error = invalidCredentials();
        await trail.refused(error, { target: { type: 'login', id: fingerprint } });
        throw error;
      }
      const { user, passwordHash } = found;
      await checkPassword(user, passwordHash, login, password, remote, trail);
      if (passwords.needsRehash(passwordHash)) {
        await users.setPasswordHash(user.id, await passwords.hash(password), clock());
      }
      const now = clock();
      const refresh = await trail.committed(
        () => refreshTokens.issue(user.id, now),
        (issued) => ({ actor: actorOf(user), target: userTarget(user.id), after: { sessionId: issued.familyId, sessionExpiresAt: issued.expiresAt } }),
      );
      const access = await accessTokens.issue(userClaims(user));
      logins.inc({ outcome: 'succeeded' });
      logger.info({ userId: user.id }, 'user signed in');
      return { access, refresh, user: { ...user, lockedUntil: null } };
    },

    async refresh(refreshToken, trail) {
      const now = clock();
      // A reused token or a disabled account revokes the session: that revocation commits with a
      // failed event. An unknown token changes nothing and names no account: nothing to record.
      const { rotation, user } = await trail.committed(
        async () => {
          const result = await refreshTokens.rotate(refreshToken, now);
          return { rotation: result, user: result.kind === 'invalid' ? undefined : await users.findById(result.userId) };
        },
        ({ rotation: result, user: owner }) => {
          if (result.kind === 'invalid') return undefined;
          const target = userTarget(result.userId);
          if (result.kind === 'rotated') {
            return { target, ...(owner ? { actor: actorOf(owner) } : {}), after: { sessionId: result.next.familyId } };
          }
          // Whoever presented a spent token is not the account's owner for sure: the caller stays the actor.
          const after = { sessionId: result.familyId, sessionRevoked: true };
          return { target, after, refusal: result.kind === 'reused' ? refreshTokenReused() : accountDisabled() };
        },
      );
      switch (rotation.kind) {
        case 'invalid':
          throw invalidRefreshToken();
        case 'reused':
          logger.warn({ userId: rotation.userId, familyId: rotation.familyId }, 'spent refresh token presented again; family revoked');
          throw refreshTokenReused();
        case 'disabled':
          throw accountDisabled();
        case 'rotated': {
          if (!user) throw invalidRefreshToken();
          return { access: await accessTokens.issue(userClaims(user)), refresh: rotation.next };
        }
      }
    },

    async logout(refreshToken, trail) {
      // Unknown tokens succeed too (RFC 7009) but change nothing: only a revoked session is recorded.
      const { session } = await trail.committed(
        async () => {
          const revoked = await refreshTokens.revokeFamilyOf(refreshToken, clock(), 'logout');
          return { session: revoked, user: revoked && (await users.findById(revoked.userId)) };
        },
        ({ session: revoked, user }) =>
          revoked && {
            ...(user ? { actor: actorOf(user) } : {}),
            target: userTarget(revoked.userId),
            after: { sessionId: revoked.familyId, sessionRevoked: true },
          },
      );
      logger.info({ revoked: session !== undefined }, 'logout');
    },

    async issueServiceToken(clientId, secret, trail) {
      const client = await clients.authenticate(clientId, secret);
      const target = { type: 'service_client', id: clientId.slice(0, 63) };
      if (!client) {
        logger.warn({ clientId: clientId.slice(0, 64) }, 'client credentials refused');
        const error = invalidClient();
        await trail.refused(error, { target });
        throw error;
      }
      const subject = `${SERVICE_SUBJECT_PREFIX}${client.clientId}`;
      const access = await accessTokens.issue({ sub: subject, name: client.displayName, roles: client.roles });
      await trail.committed(
        async () => access,
        (issued) => ({ actor: { subject, name: client.displayName }, target, after: { roles: client.roles, expiresAt: issued.expiresAt } }),
      );
      return access;
    },

    async verifyCurrentPassword(user, password, remote, trail) {
      const hash = await users.passwordHashOf(user.id);
      if (hash === undefined) throw invalidCredentials();
      await checkPassword(user, hash, user.username ?? user.email ?? user.nip ?? user.id, password, remote, trail);
    },
  };
}
