import type { Logger, Scheduler } from '@core/platform';
import type { MikroORM } from '@mikro-orm/core';
import type { PasswordHasher } from '../auth/passwords.js';
import { userTarget } from '../auth/sessions.js';
import { createAuditTrail } from '../data/audit-trail.js';
import type { LoginAttemptStore } from '../data/login-attempt.store.js';
import type { RefreshTokenStore } from '../data/refresh-token.store.js';
import type { UserStore } from '../data/user.store.js';
import { ADMIN_ROLE } from '../domain/roles.js';

/** What one purge removed. */
export interface PurgeReport {
  readonly loginAttempts: number;
  readonly refreshTokens: number;
}

/** Dependencies of {@link purgeExpiredRecords}. */
export interface PurgeDeps {
  readonly attempts: LoginAttemptStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly clock: () => Date;
  /** Login attempts are kept this long (far beyond the lockout window, for investigations). */
  readonly loginAttemptRetentionMs: number;
  /** Refresh tokens are kept this long after they expire. */
  readonly refreshTokenGraceMs: number;
}

/**
 * Removes what no rule needs any more: login attempts older than the retention (the lockout only
 * looks at the last window) and refresh tokens long expired (an expired token is refused whatever
 * its row says). Sign-ins themselves stay in the audit log.
 */
export async function purgeExpiredRecords(deps: PurgeDeps): Promise<PurgeReport> {
  const now = deps.clock().getTime();
  const loginAttempts = await deps.attempts.purgeBefore(new Date(now - deps.loginAttemptRetentionMs));
  const refreshTokens = await deps.refreshTokens.purgeExpiredBefore(new Date(now - deps.refreshTokenGraceMs));
  return { loginAttempts, refreshTokens };
}

/** Schedules {@link purgeExpiredRecords} on `cron` (one replica per tick, through the scheduler's lock). */
export function schedulePurge(scheduler: Scheduler, cron: string, deps: PurgeDeps, logger: Logger): void {
  scheduler.schedule(
    'identity:purge',
    cron,
    async () => {
      const report = await purgeExpiredRecords(deps);
      logger.info(report, 'purged expired login attempts and refresh tokens');
    },
    { lockTtlMs: 10 * 60_000 },
  );
}

/** Dependencies of {@link bootstrapAdmin}. */
export interface BootstrapAdminDeps {
  readonly orm: MikroORM;
  readonly users: UserStore;
  readonly passwords: PasswordHasher;
  readonly clock: () => Date;
  readonly logger: Logger;
}

/**
 * The first administrator of a production installation (no demo accounts there): creates the
 * account `username` with the admin role only while no account at all holds the admin role,
 * recorded in the audit log as done by `system:bootstrap`. Once an administrator exists (whatever
 * it was renamed to, and whether or not it is enabled) the settings do nothing, so they can stay
 * in place without a restart ever bringing back an admin with the bootstrap password; concurrent
 * replicas of a new installation create it once.
 */
export async function bootstrapAdmin(deps: BootstrapAdminDeps, username: string, password: string): Promise<boolean> {
  // Checked first, so a restart of an installed system does not even hash the password.
  if (await deps.users.anyWithRole(ADMIN_ROLE)) return false;
  const trail = createAuditTrail(
    { orm: deps.orm, clock: deps.clock },
    { actorSubject: 'system:bootstrap', actorName: 'IDENTITY_BOOTSTRAP_ADMIN', clientAddress: '', userAgent: '', traceId: '' },
    'identity.BootstrapAdmin',
  );
  const passwordHash = await deps.passwords.hash(password);
  const account = { username, email: null, nip: null, name: 'Administrator', roles: [ADMIN_ROLE], scope: { area: '', region: '', unit: '', approvalLevel: null } };
  // Targets the new user's id like every other user event; the username stays in `after`.
  const created = await trail.committed(
    () => deps.users.createIfAbsent({ ...account, passwordHash }, deps.clock()),
    (inserted) => (inserted ? { target: userTarget(inserted.id), after: account } : undefined),
  );
  if (created) deps.logger.warn({ username, userId: created.id }, 'created the bootstrap administrator; change its password after the first sign-in');
  return created !== undefined;
}
