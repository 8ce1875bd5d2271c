import { Status } from 'nice-grpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError, startTestIdentity, type TestIdentity } from './helpers.js';

let t: TestIdentity;
let adminToken: string;
const HOUR = 3_600_000;
const MINUTE = 60_000;

beforeAll(async () => {
  t = await startTestIdentity('lockout');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** A fresh account per test, so lock state never leaks between tests. */
async function newAccount(username: string): Promise<string> {
  adminToken = await t.tokenOf('admin');
  const { user } = await t.identity.createUser(
    { username, name: `Test ${username}`, roles: ['md'], password: 'right-password' },
    t.as(adminToken),
  );
  return user!.id;
}

const wrong = (login: string) => t.identity.login({ login, password: 'wrong-password' });
const right = (login: string) => t.identity.login({ login, password: 'right-password' });

beforeEach(() => {
  // Every test starts a day later: earlier tests' attempts are outside any window.
  t.clock.advance(24 * HOUR);
});

describe('brute-force lock', () => {
  it('refuses the 11th attempt within the hour even with the right password, and unlocks after 15 minutes', async () => {
    await newAccount('lock.one');
    for (let i = 0; i < 10; i += 1) {
      if (i > 0) t.clock.advance(5 * MINUTE);
      await expectError(wrong('lock.one'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    }
    // The 10th failure (45 minutes after the first) locks the account for 15 minutes from then.
    const locked = await expectError(right('lock.one'), 'UNAUTHENTICATED', 'ACCOUNT_LOCKED');
    expect(new Date(locked.metadata.locked_until!).getTime()).toBeGreaterThan(t.clock().getTime());
    t.clock.advance(14 * MINUTE);
    await expectError(right('lock.one'), 'UNAUTHENTICATED', 'ACCOUNT_LOCKED');
    t.clock.advance(MINUTE + 1000);
    expect((await right('lock.one')).user?.username).toBe('lock.one');
  });

  it('does not lock for 10 failures spread over more than an hour', async () => {
    await newAccount('lock.spread');
    for (let i = 0; i < 12; i += 1) {
      await expectError(wrong('lock.spread'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
      t.clock.advance(7 * MINUTE);
    }
    expect((await right('lock.spread')).user?.username).toBe('lock.spread');
  });

  it('starts counting afresh after a successful login', async () => {
    await newAccount('lock.reset');
    for (let i = 0; i < 9; i += 1) await expectError(wrong('lock.reset'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    t.clock.advance(1000);
    await right('lock.reset');
    t.clock.advance(1000);
    for (let i = 0; i < 9; i += 1) await expectError(wrong('lock.reset'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    expect((await right('lock.reset')).user?.username).toBe('lock.reset');
  });

  it('lets 30 concurrent wrong passwords check at most 10 of them', async () => {
    const id = await newAccount('lock.race');
    const results = await Promise.all(Array.from({ length: 30 }, () => t.identity.login({ login: 'lock.race', password: 'wrong-password' }).then(
      () => 'signed-in',
      (err: unknown) => err,
    )));
    expect(results).not.toContain('signed-in');
    const [counts] = await t.sql<{ failed: number; locked: number; pending: number }>(
      `SELECT count(*) FILTER (WHERE outcome = 'failed')::int AS failed, count(*) FILTER (WHERE outcome = 'locked')::int AS locked,
        count(*) FILTER (WHERE outcome = 'pending')::int AS pending FROM login_attempts WHERE user_id = '${id}'`,
    );
    expect(counts).toEqual({ failed: 10, locked: 20, pending: 0 });
    await expectError(right('lock.race'), 'UNAUTHENTICATED', 'ACCOUNT_LOCKED');
    const { user } = await t.identity.getUser({ id }, t.as(adminToken));
    expect(user?.lockedUntil).toBeInstanceOf(Date);
  });

  it('is lifted by an administrator with UnlockUser', async () => {
    const id = await newAccount('lock.admin');
    for (let i = 0; i < 11; i += 1) await wrong('lock.admin').catch(() => undefined);
    await expectError(right('lock.admin'), 'UNAUTHENTICATED', 'ACCOUNT_LOCKED');
    const { user } = await t.identity.unlockUser({ id }, t.as(adminToken));
    expect(user?.lockedUntil).toBeUndefined();
    t.clock.advance(1000);
    expect((await right('lock.admin')).user?.id).toBe(id);
  });

  it('locks by account, not by login name: NIP and email share one counter', async () => {
    adminToken = await t.tokenOf('admin');
    await t.identity.createUser(
      { username: 'lock.multi', email: 'multi@example.co.id', nip: '123456789', name: 'Multi', roles: ['md'], password: 'right-password' },
      t.as(adminToken),
    );
    for (let i = 0; i < 5; i += 1) await expectError(wrong('123456789'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    for (let i = 0; i < 5; i += 1) await expectError(wrong('multi@example.co.id'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    await expectError(right('lock.multi'), 'UNAUTHENTICATED', 'ACCOUNT_LOCKED');
  });
});

/** The account's lock as stored, and the audit events that report a lock of it. */
async function lockRecordsOf(id: string) {
  const [row] = await t.sql<{ locked_until: Date | null }>('SELECT locked_until FROM users WHERE id = ?', [id]);
  const events = await t.sql<{ action: string; outcome: string; failure_reason: string; locked_until: string }>(
    "SELECT action, outcome, failure_reason, after_state->>'lockedUntil' AS locked_until FROM audit_event WHERE target_type = 'user' AND target_id = ? AND after_state->>'lockedUntil' IS NOT NULL",
    [id],
  );
  return { lockedUntil: row?.locked_until ? new Date(row.locked_until).toISOString() : null, events };
}

describe('the lock and its audit event', () => {
  it('commit together: the locking failure leaves the lock and exactly one event naming it', async () => {
    const id = await newAccount('lock.audited');
    for (let i = 0; i < 9; i += 1) await expectError(wrong('lock.audited'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    expect(await lockRecordsOf(id)).toEqual({ lockedUntil: null, events: [] });
    // The 10th failure locks the account and still answers as a wrong password.
    await expectError(wrong('lock.audited'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    const { lockedUntil, events } = await lockRecordsOf(id);
    expect(lockedUntil).toBe(new Date(t.clock().getTime() + 15 * MINUTE).toISOString());
    expect(events).toEqual([{ action: 'identity.Login', outcome: 'failed', failure_reason: 'INVALID_CREDENTIALS', locked_until: lockedUntil }]);
  });

  it('roll back together: when the event cannot be written the account stays unlocked', async () => {
    const id = await newAccount('lock.unrecorded');
    for (let i = 0; i < 9; i += 1) await expectError(wrong('lock.unrecorded'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    // A real failure of the audit insert, in this suite's own database: events reporting a lock of this account are refused.
    await t.sql(`CREATE FUNCTION refuse_lock_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log unwritable'; END $$`);
    await t.sql(
      `CREATE TRIGGER refuse_lock_event BEFORE INSERT ON audit_event FOR EACH ROW WHEN (NEW.target_id = '${id}' AND NEW.after_state->>'lockedUntil' IS NOT NULL) EXECUTE FUNCTION refuse_lock_event()`,
    );
    try {
      // The locking failure (in finish) and a reservation that finds the window full (in reserve) both fail whole.
      for (const attempt of [wrong, right]) {
        await expect(attempt('lock.unrecorded')).rejects.toMatchObject({ code: Status.INTERNAL });
        expect(await lockRecordsOf(id)).toEqual({ lockedUntil: null, events: [] });
      }
      const locked = await t.sql("SELECT id FROM login_attempts WHERE user_id = ? AND outcome = 'locked'", [id]);
      expect(locked).toEqual([]);
    } finally {
      await t.sql('DROP TRIGGER refuse_lock_event ON audit_event');
      await t.sql('DROP FUNCTION refuse_lock_event()');
    }
    // The failure that could not be recorded still counts: the next attempt locks, recorded this time.
    await expectError(right('lock.unrecorded'), 'UNAUTHENTICATED', 'ACCOUNT_LOCKED');
    const { lockedUntil, events } = await lockRecordsOf(id);
    expect(lockedUntil).toBe(new Date(t.clock().getTime() + 15 * MINUTE).toISOString());
    expect(events).toEqual([{ action: 'identity.Login', outcome: 'failed', failure_reason: 'ACCOUNT_LOCKED', locked_until: lockedUntil }]);
  });
});

describe('disabled users', () => {
  it('cannot sign in, refresh, or use a token issued before', async () => {
    const id = await newAccount('disabled.one');
    const session = await right('disabled.one');
    await t.identity.getMe({}, t.as(session.tokens!.accessToken));
    await t.identity.disableUser({ id }, t.as(adminToken));
    await expectError(right('disabled.one'), 'UNAUTHENTICATED', 'ACCOUNT_DISABLED');
    await expectError(wrong('disabled.one'), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    await expectError(t.identity.refreshTokens({ refreshToken: session.tokens!.refreshToken }), 'UNAUTHENTICATED');
    // Disabling revokes the live access token on every verifier (TOKEN_REVOKED), not only here.
    await expectError(t.identity.getMe({}, t.as(session.tokens!.accessToken)), 'UNAUTHENTICATED', 'TOKEN_REVOKED');
    await t.identity.enableUser({ id }, t.as(adminToken));
    t.clock.advance(1000);
    const again = await right('disabled.one');
    expect(again.user?.status).toBe(1);
    expect((await t.identity.getMe({}, t.as(again.tokens!.accessToken))).user?.id).toBe(id);
    // Enabling does not resurrect tokens issued before the account was disabled.
    await expectError(t.identity.getMe({}, t.as(session.tokens!.accessToken)), 'UNAUTHENTICATED', 'TOKEN_REVOKED');
  });
});
