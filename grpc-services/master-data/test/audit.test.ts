import { AuditOutcome, AuditServiceDefinition } from '@core/contracts/audit/v1';
import { SyncMode } from '@core/contracts/masterdata/v1';
import { createGrpcClient, propagationMetadata } from '@core/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainErrorOf, SMALL_FIXTURE, startTestService, type TestService } from './helpers.js';

let t: TestService;
let audit: ReturnType<typeof createGrpcClient<typeof AuditServiceDefinition>>;
const dataTeamMember = { sub: '5b0f3a52-8c1e-4d7a-9f30-2a6b7c8d9e01', name: 'Dewi Data' };

beforeAll(async () => {
  t = await startTestService({ label: 'audit', redis: null, fixture: SMALL_FIXTURE });
  await t.service.waitForInitialSync();
  audit = createGrpcClient(AuditServiceDefinition, t.service.address, { retries: 0 });
}, 120_000);

afterAll(async () => {
  audit?.close();
  await t?.stop();
});

const asAdmin = () => t.as(['admin']);

/** A data-team member calling through the edge from a known client. */
async function fromDataTeam() {
  return {
    metadata: propagationMetadata({
      authorization: await t.issuer.bearer(['data-team'], dataTeamMember),
      forwardedFor: '192.0.2.44',
      userAgent: 'md-console/1.0',
    }),
  };
}

describe('master-data audit log', () => {
  it('records a manual sync with who started it, from where, and the run it started', async () => {
    const { run } = await t.sync.triggerSync({ entity: 'branch', mode: SyncMode.SYNC_MODE_FULL, wait: true }, await fromDataTeam());
    const { auditEvents } = await audit.client.listAuditEvents({ action: 'masterdata.TriggerSync' }, await asAdmin());
    expect(auditEvents).toHaveLength(1);
    expect(auditEvents[0]).toMatchObject({
      service: 'master-data',
      actorSubject: dataTeamMember.sub,
      actorName: dataTeamMember.name,
      targetType: 'entity',
      targetId: 'branch',
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCEEDED,
      clientAddress: '192.0.2.44',
      userAgent: 'md-console/1.0',
      after: { id: run!.id, entity: 'branch', mode: 'full', trigger: 'manual', triggeredBy: dataTeamMember.sub, wait: true },
    });
  });

  it('has an event for every manual run and none for a refused trigger', async () => {
    await t.sync.triggerSync({ entity: 'region', wait: true }, await fromDataTeam());
    // Bootstrap runs are the service's own: only manual runs are audited.
    const manual = await t.sql<{ id: string }>("SELECT id FROM md_sync_run WHERE trigger = 'manual' ORDER BY started_at");
    const { auditEvents } = await audit.client.listAuditEvents({ action: 'masterdata.TriggerSync' }, await asAdmin());
    expect(auditEvents.map((e) => (e.after as { id: string }).id).sort()).toEqual(manual.map((row) => row.id).sort());
    const refused = await domainErrorOf(t.sync.triggerSync({ entity: 'no-such-entity' }, await fromDataTeam()));
    expect(refused.code).toBe('INVALID_ARGUMENT');
    expect((await audit.client.listAuditEvents({ action: 'masterdata.TriggerSync' }, await asAdmin())).auditEvents).toHaveLength(manual.length);
  });

  it('records cache invalidations, of an entity and of keys', async () => {
    await t.sync.invalidateCache({ entity: 'customer' }, await fromDataTeam());
    await t.sync.invalidateCache({ entity: 'customer', keys: [{ values: ['1001'] }, { values: ['1002'] }] }, await fromDataTeam());
    const { auditEvents } = await audit.client.listAuditEvents({ action: 'masterdata.InvalidateCache', targetId: 'customer' }, await asAdmin());
    expect(auditEvents.map((e) => e.after).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { keys: 'all' },
      { keys: [['1001'], ['1002']], dropped: 2 },
    ]);
    expect(auditEvents.every((e) => e.actorSubject === dataTeamMember.sub)).toBe(true);
  });

  it('is readable by administrators only', async () => {
    expect((await domainErrorOf(audit.client.listAuditEvents({}))).code).toBe('UNAUTHENTICATED');
    const denied = await domainErrorOf(audit.client.listAuditEvents({}, await t.as(['data-team'])));
    expect([denied.code, denied.reason]).toEqual(['PERMISSION_DENIED', 'ROLE_REQUIRED']);
  });
});
