import { randomUUID } from 'node:crypto';
import { AuditServiceDefinition } from '@core/contracts/audit/v1';
import { createGrpcClient, createLogger, ConfigError } from '@core/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../src/auth/passwords.js';
import { loadIdentityConfig } from '../src/config.js';
import { createLoginAttemptStore } from '../src/data/login-attempt.store.js';
import { createRefreshTokenStore } from '../src/data/refresh-token.store.js';
import { createUserStore } from '../src/data/user.store.js';
import { bootstrapAdmin, purgeExpiredRecords } from '../src/jobs/maintenance.js';
import { expectError, startTestIdentity, type TestIdentity } from './helpers.js';

const DAY = 86_400_000;
let t: TestIdentity;

beforeAll(async () => {
  // A production-like start: no demo accounts, the first administrator from the environment.
  t = await startTestIdentity('maintenance', {
    IDENTITY_SEED_DEMO: 'false',
    IDENTITY_BOOTSTRAP_ADMIN: 'root.admin',
    IDENTITY_BOOTSTRAP_ADMIN_PASSWORD: 'first-admin-password',
  });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

describe('purge indexes', () => {
  it('has the age indexes the batched purge filters on', async () => {
    const rows = await t.sql<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename IN ('login_attempts', 'refresh_tokens')");
    expect(rows.map((r) => r.indexname)).toEqual(expect.arrayContaining(['login_attempts_attempted_idx', 'refresh_tokens_expires_idx']));
  });
});

describe('bootstrap administrator', () => {
  it('creates the first administrator once, audited, and never overwrites it', async () => {
    const { tokens, user } = await t.identity.login({ login: 'root.admin', password: 'first-admin-password' });
    expect(user?.roles).toEqual(['admin']);
    const token = tokens!.accessToken;
    // The administrator can administer at once, and changes the bootstrap password.
    await t.identity.createUser({ username: 'budi.santoso', name: 'Budi Santoso', roles: ['amo'], password: 'budi-password-1' }, t.as(token));
    await t.identity.changePassword({ currentPassword: 'first-admin-password', newPassword: 'chosen-admin-password' }, t.as(token));

    // A restart with the same settings (here: the same step again) leaves the account alone.
    const deps = {
      orm: t.service.orm,
      users: createUserStore(t.service.orm),
      passwords: await createPasswordHasher({ memoryKib: 1024, timeCost: 1 }),
      clock: t.clock,
      logger: createLogger('bootstrap-test', { level: 'silent' }),
    };
    expect(await bootstrapAdmin(deps, 'root.admin', 'first-admin-password')).toBe(false);
    // The change ended every session; the test clock stands still unless moved.
    t.clock.advance(1000);
    await expectError(t.identity.login({ login: 'root.admin', password: 'first-admin-password' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    const again = await t.identity.login({ login: 'root.admin', password: 'chosen-admin-password' });
    // Nor does a restart after the administrator was renamed: an admin exists, so none is re-created
    // with the bootstrap password under the old name.
    const adminToken = t.as(again.tokens!.accessToken);
    await t.identity.updateUser({ user: { id: user!.id, username: 'root.renamed' }, updateMask: ['username'] }, adminToken);
    expect(await bootstrapAdmin(deps, 'root.admin', 'first-admin-password')).toBe(false);
    await expectError(t.identity.login({ login: 'root.admin', password: 'first-admin-password' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');

    const audit = createGrpcClient(AuditServiceDefinition, t.service.address, { retries: 0 });
    try {
      const { auditEvents } = await audit.client.listAuditEvents({ action: 'identity.BootstrapAdmin', pageSize: 10 }, adminToken);
      expect(auditEvents).toHaveLength(1);
      // The target is the account's id, as for every other user event; the username is in `after`.
      expect(auditEvents[0]).toMatchObject({ actorSubject: 'system:bootstrap', targetType: 'user', targetId: user!.id, after: { username: 'root.admin', roles: ['admin'] } });
      expect(JSON.stringify(auditEvents[0])).not.toContain('first-admin-password');
    } finally {
      audit.close();
    }
  });

  it('refuses a username without its password, and a short password', () => {
    expect(() => loadIdentityConfig({ IDENTITY_BOOTSTRAP_ADMIN: 'root.admin' })).toThrow(ConfigError);
    expect(() => loadIdentityConfig({ IDENTITY_BOOTSTRAP_ADMIN: 'root.admin', IDENTITY_BOOTSTRAP_ADMIN_PASSWORD: 'short' })).toThrow(/IDENTITY_BOOTSTRAP_ADMIN_PASSWORD/);
    expect(() => loadIdentityConfig({ IDENTITY_BOOTSTRAP_ADMIN: 'Root Admin', IDENTITY_BOOTSTRAP_ADMIN_PASSWORD: 'long-enough-password' })).toThrow(
      /IDENTITY_BOOTSTRAP_ADMIN/,
    );
  });
});

describe('purge of expired records', () => {
  it('removes login attempts past the retention and refresh tokens long expired, and nothing newer', async () => {
    const now = t.clock().getTime();
    const [budi] = await t.sql<{ id: string }>("SELECT id FROM users WHERE username = 'budi.santoso'");
    const userId = budi!.id;
    const attempt = (ageMs: number) =>
      t.sql("INSERT INTO login_attempts (id, user_id, login, attempted_at, outcome) VALUES (?, ?, 'budi.santoso', ?::timestamptz, 'failed')", [
        randomUUID(),
        userId,
        new Date(now - ageMs).toISOString(),
      ]);
    const token = (expiredAgoMs: number) =>
      t.sql(
        'INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?::timestamptz, ?::timestamptz)',
        [randomUUID(), randomUUID(), randomUUID(), userId, new Date(now - expiredAgoMs - 7 * DAY).toISOString(), new Date(now - expiredAgoMs).toISOString()],
      );
    for (const age of [40 * DAY, 31 * DAY, 29 * DAY, 1 * DAY]) await attempt(age);
    for (const expiredAgo of [10 * DAY, 2 * DAY, 0.5 * DAY, -3 * DAY]) await token(expiredAgo);
    const count = async () => {
      const [row] = await t.sql<{ attempts: number; tokens: number }>(
        'SELECT (SELECT count(*)::int FROM login_attempts WHERE user_id = ?) AS attempts, (SELECT count(*)::int FROM refresh_tokens WHERE user_id = ?) AS tokens',
        [userId, userId],
      );
      return row!;
    };
    expect(await count()).toEqual({ attempts: 4, tokens: 4 });

    const deps = {
      attempts: createLoginAttemptStore(t.service.orm, { maxFailures: 10, windowMs: 3_600_000, lockMs: 900_000 }),
      refreshTokens: createRefreshTokenStore(t.service.orm, 7 * DAY),
      clock: t.clock,
      loginAttemptRetentionMs: 30 * DAY,
      refreshTokenGraceMs: DAY,
    };
    const report = await purgeExpiredRecords(deps);
    expect(report.loginAttempts).toBeGreaterThanOrEqual(2);
    expect(report.refreshTokens).toBeGreaterThanOrEqual(2);
    expect(await count()).toEqual({ attempts: 2, tokens: 2 });
    // Idempotent: nothing more to remove.
    expect(await purgeExpiredRecords(deps)).toEqual({ loginAttempts: 0, refreshTokens: 0 });
  });
});
