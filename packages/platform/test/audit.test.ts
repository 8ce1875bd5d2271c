import { protoDescriptorSet } from '@core/contracts';
import { AuditOutcome, AuditServiceDefinition } from '@core/contracts/audit/v1';
import { SyncServiceDefinition } from '@core/contracts/masterdata/v1';
import { createTestDatabase, domainErrorOf, testLogger, type TestDatabase } from '@core/testing';
import { defineEntity, type MikroORM, p } from '@mikro-orm/core';
import { Metadata, ServerError, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventSchema,
  auditMigration,
  auditOriginOf,
  auditServiceImpl,
  auditState,
  findAuditEvents,
  recordAudit,
  REDACTED,
} from '../src/audit.js';
import {
  type Authenticator,
  createGrpcClient,
  createGrpcServer,
  fromGrpcError,
  initORM,
  Migration,
  type MigrationObject,
  propagationMetadata,
  type ServiceContext,
  unauthenticated,
} from '../src/index.js';

/** A resource of a made-up service whose changes are audited. */
const Widget = defineEntity({
  name: 'Widget',
  tableName: 'widget',
  properties: { id: p.text().primary(), colour: p.text(), secret: p.text() },
});

class Migration20261121000000Widget extends Migration {
  override up(): void {
    this.addSql('CREATE TABLE widget (id text PRIMARY KEY, colour text NOT NULL, secret text NOT NULL)');
  }
}

const migrations: MigrationObject[] = [{ name: 'Migration20261121000000_widget', class: Migration20261121000000Widget }, auditMigration];

const callers: Record<string, { subject: string; roles: string[]; claims: Record<string, unknown> }> = {
  admin: { subject: 'user-admin', roles: ['admin'], claims: { name: 'Ada Admin' } },
  clerk: { subject: 'user-clerk', roles: ['md'], claims: { name: 'Cleo Clerk' } },
};
const authenticate: Authenticator = async (metadata) => {
  const token = metadata.get('authorization')?.replace(/^Bearer /, '');
  if (token === undefined) return undefined;
  const caller = callers[token];
  if (!caller) throw unauthenticated('INVALID_TOKEN', 'the token is not valid');
  return caller;
};

const unimplemented = async (): Promise<never> => {
  throw new ServerError(Status.UNIMPLEMENTED, 'not in this test');
};

let database: TestDatabase;
let orm: MikroORM;
let stopServer: () => Promise<void>;
let audit: ReturnType<typeof createGrpcClient<typeof AuditServiceDefinition>>;
let sync: ReturnType<typeof createGrpcClient<typeof SyncServiceDefinition>>;

const as = (token: string, extra: Record<string, string> = {}) => ({
  metadata: Metadata({ authorization: `Bearer ${token}`, ...extra }),
});


const count = async (sql: string, params: unknown[] = []) => {
  const [row] = (await orm.em.fork().getConnection().execute(`SELECT count(*)::int AS n FROM ${sql}`, params)) as { n: number }[];
  return row!.n;
};

beforeAll(async () => {
  database = await createTestDatabase('platform-audit');
  orm = await initORM({ url: database.url, entities: [Widget, AuditEventSchema], migrations, logger: testLogger() });
  const server = createGrpcServer({ name: 'audit-test', logger: testLogger('audit-test'), authenticate, descriptorSet: protoDescriptorSet() });
  server.add(AuditServiceDefinition, auditServiceImpl(orm));
  // InvalidateCache stands in for a mutation: it repaints a widget and audits the change in one
  // transaction; the entity "FAIL" makes it throw after recording, so the transaction rolls back.
  server.add(SyncServiceDefinition, {
    triggerSync: unimplemented,
    getSyncRun: unimplemented,
    listSyncRuns: unimplemented,
    getEntityState: unimplemented,
    async invalidateCache(request, context) {
      await orm.em.fork().transactional(async (em) => {
        const widget = await em.findOneOrFail(Widget, { id: 'w1' });
        const before = { ...widget };
        widget.colour = request.entity.toLowerCase();
        widget.secret = `secret-${request.entity}`;
        await em.flush();
        await recordAudit(em, {
          ...auditOriginOf(context as ServiceContext),
          service: 'widgets',
          action: 'widgets.Repaint',
          target: { type: 'widget', id: widget.id },
          before,
          after: { ...widget },
        });
        if (request.entity === 'FAIL') throw new Error('boom after the audit row');
      });
      return { dropped: 0 };
    },
  });
  const port = await server.listen('127.0.0.1:0');
  stopServer = () => server.shutdown(500);
  audit = createGrpcClient(AuditServiceDefinition, `127.0.0.1:${port}`, { retries: 0 });
  sync = createGrpcClient(SyncServiceDefinition, `127.0.0.1:${port}`, { retries: 0 });
  const em = orm.em.fork();
  em.create(Widget, { id: 'w1', colour: 'grey', secret: 'initial-secret' });
  await em.flush();
});

afterAll(async () => {
  audit?.close();
  sync?.close();
  await stopServer?.();
  await orm?.close();
  await database?.drop();
});

describe('recordAudit', () => {
  it('commits the event with the change: who, what, from where, before and after, secrets redacted', async () => {
    const metadata = propagationMetadata({
      authorization: 'Bearer clerk',
      forwardedFor: '203.0.113.7, 10.0.0.2',
      userAgent: 'Mozilla/5.0 (audit test)',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    await sync.client.invalidateCache({ entity: 'BLUE' }, { metadata });
    const { auditEvents } = await audit.client.listAuditEvents({ action: 'widgets.Repaint' }, as('admin'));
    expect(auditEvents).toHaveLength(1);
    const [event] = auditEvents;
    expect(event).toMatchObject({
      service: 'widgets',
      action: 'widgets.Repaint',
      actorSubject: 'user-clerk',
      actorName: 'Cleo Clerk',
      targetType: 'widget',
      targetId: 'w1',
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCEEDED,
      failureReason: '',
      clientAddress: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (audit test)',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      before: { id: 'w1', colour: 'grey', secret: REDACTED },
      after: { id: 'w1', colour: 'blue', secret: REDACTED },
    });
    expect(JSON.stringify(auditEvents)).not.toMatch(/initial-secret|secret-BLUE/);
  });

  it('leaves no event when the change rolls back', async () => {
    const events = await count('audit_event');
    await expect(sync.client.invalidateCache({ entity: 'FAIL' }, as('clerk'))).rejects.toMatchObject({ code: Status.INTERNAL });
    expect(await count('audit_event')).toBe(events);
    expect(await count("widget WHERE colour = 'fail'")).toBe(0);
  });

  it('refuses to write outside a transaction', async () => {
    await expect(recordAudit(orm.em.fork(), { service: 'widgets', action: 'widgets.Nothing' })).rejects.toThrow(/transaction/);
  });

  it('keeps the log append-only', async () => {
    await expect(orm.em.fork().getConnection().execute("UPDATE audit_event SET actor_subject = 'someone-else'")).rejects.toThrow(/append-only/);
    await expect(orm.em.fork().getConnection().execute('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
  });

  it('takes the direct peer as the client address when the edge forwarded none', async () => {
    await sync.client.invalidateCache({ entity: 'GREEN' }, as('admin'));
    const { auditEvents } = await audit.client.listAuditEvents({ action: 'widgets.Repaint', actorSubject: 'user-admin' }, as('admin'));
    expect(auditEvents[0]?.clientAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(auditEvents[0]?.userAgent).toBe('');
  });
});

describe('auditState', () => {
  it('redacts secret-named keys at any depth and keeps everything else', () => {
    const state = auditState({
      name: 'Budi',
      passwordHash: '$argon2id$…',
      nested: { client_secret: 's', refreshToken: 't', list: [{ apiKey: 'k', ok: 1 }] },
      at: new Date('2026-11-21T08:00:00.000Z'),
      big: 12n,
      gone: undefined,
    });
    expect(state).toEqual({
      name: 'Budi',
      passwordHash: REDACTED,
      nested: { client_secret: REDACTED, refreshToken: REDACTED, list: [{ apiKey: REDACTED, ok: 1 }] },
      at: '2026-11-21T08:00:00.000Z',
      big: '12',
    });
  });

  it('bounds what it keeps', () => {
    expect(auditState({ text: 'x'.repeat(40_000) })).toEqual({ truncated: true, bytes: expect.any(Number) });
    expect(auditState(undefined)).toBeUndefined();
    expect(auditState('plain')).toEqual({ value: 'plain' });
  });
});

describe('ListAuditEvents', () => {
  const times = Array.from({ length: 7 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)));

  beforeAll(async () => {
    // Seven events one second apart, and three more sharing the last second (ties broken by id).
    await orm.em.fork().transactional(async (em) => {
      for (const [i, at] of times.entries()) {
        await recordAudit(em, {
          service: 'widgets',
          action: i % 2 === 0 ? 'widgets.Create' : 'widgets.Delete',
          actorSubject: `user-${i % 3}`,
          target: { type: 'widget', id: `w-${i}` },
          occurredAt: at,
        });
      }
      for (let i = 0; i < 3; i++) {
        await recordAudit(em, { service: 'widgets', action: 'widgets.Tie', target: { type: 'widget', id: 'tie' }, occurredAt: times[6]! });
      }
    });
  });

  it('refuses callers without a token, with a refused token, and without the admin role', async () => {
    expect((await domainErrorOf(audit.client.listAuditEvents({}))).code).toBe('UNAUTHENTICATED');
    expect((await domainErrorOf(audit.client.listAuditEvents({}, as('forged')))).reason).toBe('INVALID_TOKEN');
    const denied = await domainErrorOf(audit.client.listAuditEvents({}, as('clerk')));
    expect(denied.code).toBe('PERMISSION_DENIED');
  });

  it('pages newest first by time then id, with no duplicates or gaps', async () => {
    const window = { startTime: times[0], endTime: new Date(times[6]!.getTime() + 1) };
    const seen: { occurTime?: Date; id: string }[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await audit.client.listAuditEvents({ ...window, pageSize: 3, pageToken }, as('admin'));
      seen.push(...page.auditEvents);
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken !== '');
    expect(pages).toBe(4);
    expect(seen).toHaveLength(10);
    expect(new Set(seen.map((e) => e.id)).size).toBe(10);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      const order = b.occurTime!.getTime() - a.occurTime!.getTime() || (b.id < a.id ? -1 : 1);
      expect(order, `event ${i} is not older than event ${i - 1}`).toBeLessThan(0);
    }
  });

  it('continues from a plain position exactly as from a token', async () => {
    const window = { startTime: times[0], endTime: new Date(times[6]!.getTime() + 1) };
    const first = await audit.client.listAuditEvents({ ...window, pageSize: 2 }, as('admin'));
    const last = first.auditEvents.at(-1)!;
    const byToken = await audit.client.listAuditEvents({ ...window, pageSize: 4, pageToken: first.nextPageToken }, as('admin'));
    const byPosition = await audit.client.listAuditEvents(
      { ...window, pageSize: 4, after: { occurTime: last.occurTime, id: last.id } },
      as('admin'),
    );
    expect(byPosition.auditEvents.map((e) => e.id)).toEqual(byToken.auditEvents.map((e) => e.id));
  });

  it('filters by actor, action, target and time range', async () => {
    const byActor = await audit.client.listAuditEvents({ actorSubject: 'user-1' }, as('admin'));
    expect(byActor.auditEvents.map((e) => e.targetId)).toEqual(['w-4', 'w-1']);
    const byAction = await audit.client.listAuditEvents({ action: 'widgets.Delete' }, as('admin'));
    expect(byAction.auditEvents.map((e) => e.targetId)).toEqual(['w-5', 'w-3', 'w-1']);
    const byTarget = await audit.client.listAuditEvents({ targetType: 'widget', targetId: 'w-2' }, as('admin'));
    expect(byTarget.auditEvents).toHaveLength(1);
    const byTime = await audit.client.listAuditEvents({ startTime: times[2], endTime: times[4] }, as('admin'));
    expect(byTime.auditEvents.map((e) => e.targetId)).toEqual(['w-3', 'w-2']);
  });

  it('answers bad queries with INVALID_ARGUMENT naming every bad field', async () => {
    const bad = async (request: Parameters<typeof audit.client.listAuditEvents>[0]) => {
      const error = await domainErrorOf(audit.client.listAuditEvents(request, as('admin')));
      expect(error.code, error.message).toBe('INVALID_ARGUMENT');
      return error.fieldViolations.map((v) => v.field);
    };
    expect(await bad({ pageSize: 501 })).toEqual(['page_size']);
    expect(await bad({ pageSize: -1 })).toEqual(['page_size']);
    expect(await bad({ startTime: times[3], endTime: times[3] })).toEqual(['end_time']);
    expect(await bad({ actorSubject: 'x'.repeat(201), action: 'a\u0000b' })).toEqual(['actor_subject', 'action']);
    expect(await bad({ startTime: new Date('-010000-01-01T00:00:00Z') })).toEqual(['start_time']);
    expect(await bad({ after: { occurTime: times[1], id: 'not-a-uuid' } })).toEqual(['after.id']);
    expect(await bad({ after: { id: '3f2b8a4e-5c1d-4e6f-8a9b-0c1d2e3f4a5b' } })).toEqual(['after.occur_time']);
    expect(await bad({ pageToken: 'garbage' })).toEqual(['page_token']);
    const page = await audit.client.listAuditEvents({ pageSize: 1 }, as('admin'));
    expect(await bad({ pageSize: 1, pageToken: page.nextPageToken, action: 'widgets.Create' })).toEqual(['page_token']);
    expect(await bad({ pageToken: page.nextPageToken, after: { occurTime: times[1], id: '3f2b8a4e-5c1d-4e6f-8a9b-0c1d2e3f4a5b' } })).toEqual([
      'after',
    ]);
  });
});

describe('on PGlite (the embedded mode)', () => {
  it('migrates, records, lists newest first and stays append-only', async () => {
    const lite = await initORM({ url: 'pglite:memory', entities: [Widget, AuditEventSchema], migrations, logger: testLogger() });
    try {
      await lite.em.fork().transactional(async (em) => {
        await recordAudit(em, { service: 'widgets', action: 'widgets.Old', after: { colour: 'red', password: 'p' }, occurredAt: new Date(1_000) });
        await recordAudit(em, { service: 'widgets', action: 'widgets.New', occurredAt: new Date(2_000) });
      });
      const rows = await findAuditEvents(lite.em.fork(), {}, undefined, 10);
      expect(rows.map((row) => [row.action, row.occurredAt.getTime()])).toEqual([
        ['widgets.New', 2_000],
        ['widgets.Old', 1_000],
      ]);
      expect(rows[1]?.afterState).toEqual({ colour: 'red', password: REDACTED });
      const older = await findAuditEvents(lite.em.fork(), {}, { occurredAt: rows[0]!.occurredAt, id: rows[0]!.id }, 10);
      expect(older.map((row) => row.action)).toEqual(['widgets.Old']);
      await expect(lite.em.fork().getConnection().execute('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
    } finally {
      await lite.close();
    }
  });
});
