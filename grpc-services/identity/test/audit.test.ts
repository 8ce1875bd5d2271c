import { createHash } from 'node:crypto';
import { type AuditEvent, AuditOutcome, AuditServiceDefinition } from '@core/contracts/audit/v1';
import { UserStatus } from '@core/contracts/identity/v1';
import { createGrpcClient, propagationMetadata } from '@core/platform';
import { REDACTED } from '@core/platform/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../src/data/audit-trail.js';
import { createUserStore } from '../src/data/user.store.js';
import { expectError, startTestIdentity, type TestIdentity } from './helpers.js';

let t: TestIdentity;
let audit: ReturnType<typeof createGrpcClient<typeof AuditServiceDefinition>>;
let adminToken: string;
let adminId: string;

beforeAll(async () => {
  t = await startTestIdentity('audit');
  audit = createGrpcClient(AuditServiceDefinition, t.service.address, { retries: 0 });
  adminToken = await t.tokenOf('admin');
  adminId = (await t.identity.getMe({}, t.as(adminToken))).user!.id;
}, 120_000);

afterAll(async () => {
  audit?.close();
  await t?.stop();
});

/** Call options of an administrator calling through the edge from a known client. */
const fromBrowser = (token: string) => ({
  metadata: propagationMetadata({
    authorization: `Bearer ${token}`,
    forwardedFor: '198.51.100.23',
    userAgent: 'Mozilla/5.0 (audit test)',
  }),
});

/**
 * The service runs on the test's clock, which stands still unless moved; events at one instant are
 * ordered by id, so a test that asserts the order of its events moves the clock between them.
 */
const tick = () => t.clock.advance(10);

/** Every event of an action, newest first. */
async function eventsOf(action: string, filter: { targetId?: string } = {}): Promise<AuditEvent[]> {
  const { auditEvents } = await audit.client.listAuditEvents({ action: `identity.${action}`, ...filter, pageSize: 500 }, t.as(adminToken));
  return auditEvents;
}

/** Text of every stored before/after, to prove no secret ever reached the log. */
async function everyStoredState(): Promise<string> {
  const rows = await t.sql<{ state: string }>("SELECT coalesce(before_state::text, '') || coalesce(after_state::text, '') || target_id AS state FROM audit_event");
  return rows.map((row) => row.state).join('\n');
}

let createdId: string;

describe('user administration', () => {
  it('records a created user with the administrator, the client and the values, never the password', async () => {
    const { user } = await t.identity.createUser(
      { username: 'sari.w', name: 'Sari Wulandari', roles: ['md'], scope: { area: 'SBY-1', region: 'JATIM', unit: 'SBY', approvalLevel: undefined }, password: 'initial-Secret-9' },
      fromBrowser(adminToken),
    );
    createdId = user!.id;
    const [event] = await eventsOf('CreateUser', { targetId: createdId });
    expect(event).toMatchObject({
      service: 'identity',
      actorSubject: adminId,
      actorName: 'Demo Administrator',
      targetType: 'user',
      targetId: createdId,
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCEEDED,
      clientAddress: '198.51.100.23',
      userAgent: 'Mozilla/5.0 (audit test)',
    });
    expect(event?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(event?.before).toBeUndefined();
    expect(event?.after).toMatchObject({ id: createdId, username: 'sari.w', name: 'Sari Wulandari', roles: ['md'], status: 'active', password: REDACTED });
    expect(await everyStoredState()).not.toMatch(/initial-Secret-9|\$argon2/);
  });

  it('records an update with the values before and after', async () => {
    await t.identity.updateUser({ user: { id: createdId, name: 'Sari W. Putri', roles: ['md', 'tl'] } as never, updateMask: ['name', 'roles'] }, t.as(adminToken));
    const [event] = await eventsOf('UpdateUser', { targetId: createdId });
    expect(event?.before).toMatchObject({ name: 'Sari Wulandari', roles: ['md'] });
    expect(event?.after).toMatchObject({ name: 'Sari W. Putri', roles: ['md', 'tl'] });
  });

  it('records nothing when the change is refused, and the change leaves nothing behind', async () => {
    const creates = (await eventsOf('CreateUser')).length;
    await expectError(
      t.identity.createUser({ username: 'sari.w', name: 'Second Sari', roles: ['md'], password: 'another-Secret-9' }, t.as(adminToken)),
      'ALREADY_EXISTS',
    );
    expect(await eventsOf('CreateUser')).toHaveLength(creates);
    const updates = (await eventsOf('UpdateUser')).length;
    await expectError(
      t.identity.updateUser({ user: { id: createdId, email: 'admin@demo.core.local' } as never, updateMask: ['email'] }, t.as(adminToken)),
      'ALREADY_EXISTS',
    );
    expect(await eventsOf('UpdateUser')).toHaveLength(updates);
  });

  it('rolls the change back when its audit event cannot be recorded', async () => {
    const users = createUserStore(t.service.orm);
    const trail = createAuditTrail({ orm: t.service.orm, clock: () => new Date() }, { actorSubject: adminId, actorName: '', clientAddress: '', userAgent: '', traceId: '' }, 'identity.CreateUser');
    const scope = { area: '', region: '', unit: '', approvalLevel: null };
    await expect(
      trail.committed(
        () => users.create({ username: 'ghost.user', email: null, nip: null, name: 'Ghost', roles: ['md'], scope, passwordHash: 'x' }, new Date()),
        () => {
          throw new Error('the audit log is unwritable');
        },
      ),
    ).rejects.toThrow(/unwritable/);
    expect(await t.sql("SELECT id FROM users WHERE username = 'ghost.user'")).toEqual([]);
  });

  it('records disable, enable, unlock and password resets with before and after, no password', async () => {
    await t.identity.disableUser({ id: createdId }, t.as(adminToken));
    await t.identity.enableUser({ id: createdId }, t.as(adminToken));
    await t.identity.unlockUser({ id: createdId }, t.as(adminToken));
    await t.identity.setPassword({ userId: createdId, newPassword: 'reset-Secret-77' }, t.as(adminToken));
    const [disabled] = await eventsOf('DisableUser', { targetId: createdId });
    expect(disabled?.before).toMatchObject({ status: 'active' });
    expect(disabled?.after).toMatchObject({ status: 'disabled' });
    const [enabled] = await eventsOf('EnableUser', { targetId: createdId });
    expect(enabled?.after).toMatchObject({ status: 'active' });
    expect(await eventsOf('UnlockUser', { targetId: createdId })).toHaveLength(1);
    const [reset] = await eventsOf('SetPassword', { targetId: createdId });
    expect(reset?.after).toEqual({ password: REDACTED, sessionsRevoked: 0 });
    expect(await everyStoredState()).not.toMatch(/reset-Secret-77|\$argon2/);
  });

  it('records a new service client without its secret', async () => {
    const { clientSecret } = await t.identity.createServiceClient({ clientId: 'audit-importer', displayName: 'Importer', roles: ['data-team'] }, t.as(adminToken));
    const [event] = await eventsOf('CreateServiceClient', { targetId: 'audit-importer' });
    expect(event?.targetType).toBe('service_client');
    expect(event?.after).toMatchObject({ clientId: 'audit-importer', roles: ['data-team'], createdBy: adminId });
    expect(await everyStoredState()).not.toContain(clientSecret);
    await t.identity.issueServiceToken({ clientId: 'audit-importer', clientSecret });
    tick();
    await expectError(t.identity.issueServiceToken({ clientId: 'audit-importer', clientSecret: 'wrong-secret' }), 'UNAUTHENTICATED');
    const issued = await eventsOf('IssueServiceToken', { targetId: 'audit-importer' });
    expect(issued.map((e) => [e.actorSubject, e.outcome, e.failureReason])).toEqual([
      ['', AuditOutcome.AUDIT_OUTCOME_FAILED, 'INVALID_CLIENT'],
      ['service:audit-importer', AuditOutcome.AUDIT_OUTCOME_SUCCEEDED, ''],
    ]);
  });
});

describe('sign-in', () => {
  it('records a login as the user it signs in, from the forwarded client', async () => {
    const metadata = propagationMetadata({ forwardedFor: '203.0.113.9, 10.0.0.1', userAgent: 'core-mobile/2.1' });
    const { user } = await t.identity.login({ login: 'demo.tl', password: 'demo-tl-pass' }, { metadata });
    const [event] = await eventsOf('Login', { targetId: user!.id });
    expect(event).toMatchObject({
      actorSubject: user!.id,
      actorName: 'Demo Team Leader',
      targetType: 'user',
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCEEDED,
      clientAddress: '203.0.113.9',
      userAgent: 'core-mobile/2.1',
    });
    expect(event?.after).toMatchObject({ sessionId: expect.any(String) });
    // The attempt log names the same client as the audit log.
    const attempts = await t.sql<{ remote: string }>("SELECT remote FROM login_attempts WHERE user_id = ? AND outcome = 'succeeded'", [user!.id]);
    expect(attempts.map((row) => row.remote)).toContain('203.0.113.9');
  });

  it('records failed logins with their reason and without the password', async () => {
    const tl = (await eventsOf('Login')).find((e) => e.actorName === 'Demo Team Leader')!.targetId;
    tick();
    await expectError(t.identity.login({ login: 'demo.tl', password: 'Wrong-Guess-123' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    await expectError(t.identity.login({ login: 'nobody.at.all', password: 'Other-Guess-456' }), 'UNAUTHENTICATED', 'INVALID_CREDENTIALS');
    const [wrong] = await eventsOf('Login', { targetId: tl });
    expect(wrong).toMatchObject({ actorSubject: '', targetType: 'user', outcome: AuditOutcome.AUDIT_OUTCOME_FAILED, failureReason: 'INVALID_CREDENTIALS' });
    // An unknown login is kept only as a fingerprint: people type passwords into login fields.
    const fingerprint = `sha256:${createHash('sha256').update('nobody.at.all').digest('hex').slice(0, 16)}`;
    const [unknown] = await eventsOf('Login', { targetId: fingerprint });
    expect(unknown).toMatchObject({ targetType: 'login', outcome: AuditOutcome.AUDIT_OUTCOME_FAILED, failureReason: 'INVALID_CREDENTIALS' });
    const everything = JSON.stringify(await eventsOf('Login'));
    expect(everything).not.toMatch(/Wrong-Guess-123|Other-Guess-456|demo-tl-pass|nobody\.at\.all/);
    // Nor does the attempt log keep the text.
    const attempts = await t.sql<{ login: string }>('SELECT login FROM login_attempts WHERE user_id IS NULL');
    expect(attempts.map((a) => a.login)).toContain(fingerprint);
    expect(JSON.stringify(attempts)).not.toContain('nobody.at.all');
  });

  it('records refresh, reuse of a spent refresh token, and logout, never the tokens', async () => {
    const { tokens, user } = await t.identity.login({ login: 'demo.md', password: 'demo-md-pass' });
    const rotated = await t.identity.refreshTokens({ refreshToken: tokens!.refreshToken });
    tick();
    await expectError(t.identity.refreshTokens({ refreshToken: tokens!.refreshToken }), 'UNAUTHENTICATED', 'REFRESH_TOKEN_REUSED');
    const { tokens: second } = await t.identity.login({ login: 'demo.md', password: 'demo-md-pass' });
    await t.identity.logout({ refreshToken: second!.refreshToken });
    await t.identity.logout({ refreshToken: 'A'.repeat(43) });
    const refreshes = await eventsOf('RefreshTokens', { targetId: user!.id });
    expect(refreshes.map((e) => [e.outcome, e.failureReason, e.actorSubject])).toEqual([
      [AuditOutcome.AUDIT_OUTCOME_FAILED, 'REFRESH_TOKEN_REUSED', ''],
      [AuditOutcome.AUDIT_OUTCOME_SUCCEEDED, '', user!.id],
    ]);
    expect(refreshes[0]?.after).toMatchObject({ sessionRevoked: true });
    // The unknown token changed nothing and is not recorded.
    const logouts = await eventsOf('Logout');
    expect(logouts.map((e) => [e.actorSubject, e.targetId])).toEqual([[user!.id, user!.id]]);
    const everything = JSON.stringify([...refreshes, ...logouts]);
    for (const token of [tokens!.refreshToken, rotated.tokens!.refreshToken, second!.refreshToken]) expect(everything).not.toContain(token);
  });

  it('records a password change by its owner and a refused one, never the passwords', async () => {
    const { tokens, user } = await t.identity.login({ login: 'demo.wholesaler', password: 'demo-wholesaler-pass' });
    await expectError(
      t.identity.changePassword({ currentPassword: 'not-my-Password-1', newPassword: 'brand-New-pass-2' }, t.as(tokens!.accessToken)),
      'UNAUTHENTICATED',
    );
    tick();
    await t.identity.changePassword({ currentPassword: 'demo-wholesaler-pass', newPassword: 'brand-New-pass-3' }, t.as(tokens!.accessToken));
    const changes = await eventsOf('ChangePassword', { targetId: user!.id });
    expect(changes.map((e) => [e.outcome, e.failureReason])).toEqual([
      [AuditOutcome.AUDIT_OUTCOME_SUCCEEDED, ''],
      [AuditOutcome.AUDIT_OUTCOME_FAILED, 'INVALID_CREDENTIALS'],
    ]);
    expect(changes[0]).toMatchObject({ actorSubject: user!.id, after: { password: REDACTED, sessionsRevoked: 1 } });
    expect(await everyStoredState()).not.toMatch(/not-my-Password-1|brand-New-pass|demo-wholesaler-pass/);
  });
});

describe('reading the log', () => {
  it('is for administrators only', async () => {
    await expectError(audit.client.listAuditEvents({}), 'UNAUTHENTICATED');
    await expectError(audit.client.listAuditEvents({}, t.as(await t.tokenOf('nasional'))), 'PERMISSION_DENIED', 'ROLE_REQUIRED');
  });

  it('finds everything an administrator did, newest first', async () => {
    const { auditEvents } = await audit.client.listAuditEvents({ actorSubject: adminId, pageSize: 500 }, t.as(adminToken));
    const actions = auditEvents.map((e) => e.action);
    expect(actions).toContain('identity.CreateUser');
    expect(actions).toContain('identity.CreateServiceClient');
    const times = auditEvents.map((e) => e.occurTime!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await t.identity.getUser({ id: createdId }, t.as(adminToken))).user?.status).toBe(UserStatus.USER_STATUS_ACTIVE);
  });
});
