import { randomUUID } from 'node:crypto';
import {
  type AuditEvent,
  AuditOutcome,
  type AuditServiceImplementation,
  type ListAuditEventsRequest,
} from '@core/contracts/audit/v1';
import { defineEntity, type EntityManager, type FilterQuery, type InferEntity, type MigrationObject, type MikroORM, p } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { z } from 'zod';
import { Access, type AccessTable, guardService } from './auth/access.js';
import { type FieldViolation, invalidArgument } from './errors.js';
import { CLIENT_USER_AGENT_METADATA, FORWARDED_FOR_METADATA } from './grpc/propagation.js';
import type { ServiceContext, ServiceContextExt } from './grpc/server.js';
import { decodePageToken, encodePageToken, resolvePageSize } from './paging.js';

/** A JSON object as stored in `before`/`after` (google.protobuf.Struct on the wire). */
export type JsonObject = { [key: string]: JsonValue };
/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Whether the audited operation took effect. */
export type AuditOutcomeName = 'succeeded' | 'failed';

/**
 * One row of the audit log (table `audit_event`, created by {@link auditMigration}). Every service
 * that records audit events lists this entity among its own and the migration among its own, since
 * each service keeps its log in its own database: the row then commits or rolls back with the
 * change it describes.
 */
export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_event',
  properties: {
    id: p.uuid().primary(),
    /** Millisecond precision, so a position read back by a client compares exactly with the stored one. */
    occurredAt: p.datetime().columnType('timestamptz'),
    service: p.text(),
    /** `<area>.<RPC>`, e.g. `identity.CreateUser`. */
    action: p.text(),
    /** Empty for an anonymous caller. */
    actorSubject: p.text(),
    actorName: p.text(),
    targetType: p.text(),
    targetId: p.text(),
    outcome: p.text().$type<AuditOutcomeName>(),
    failureReason: p.text(),
    clientAddress: p.text(),
    userAgent: p.text(),
    traceId: p.text(),
    beforeState: p.json<JsonObject>().nullable(),
    afterState: p.json<JsonObject>().nullable(),
  },
});

/** A stored audit event. */
export type AuditEventRow = InferEntity<typeof AuditEventSchema>;

/**
 * Creates `audit_event`. Append-only: a trigger refuses UPDATE and DELETE, so neither a bug nor a
 * compromised handler can rewrite history through the service's own connection. Plain SQL so the
 * same migration runs on PostgreSQL and PGlite.
 */
export class Migration20261121200000AuditEvent extends Migration {
  override up(): void {
    this.addSql(`CREATE TABLE audit_event (
  id             uuid        PRIMARY KEY,
  occurred_at    timestamptz NOT NULL,
  service        text        NOT NULL,
  action         text        NOT NULL,
  actor_subject  text        NOT NULL DEFAULT '',
  actor_name     text        NOT NULL DEFAULT '',
  target_type    text        NOT NULL DEFAULT '',
  target_id      text        NOT NULL DEFAULT '',
  outcome        text        NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  failure_reason text        NOT NULL DEFAULT '',
  client_address text        NOT NULL DEFAULT '',
  user_agent     text        NOT NULL DEFAULT '',
  trace_id       text        NOT NULL DEFAULT '',
  before_state   jsonb       NULL,
  after_state    jsonb       NULL
)`);
    // Newest first overall, and newest first within each filter a reader narrows by.
    this.addSql('CREATE INDEX audit_event_time_idx ON audit_event (occurred_at DESC, id DESC)');
    this.addSql('CREATE INDEX audit_event_actor_idx ON audit_event (actor_subject, occurred_at DESC, id DESC)');
    this.addSql('CREATE INDEX audit_event_action_idx ON audit_event (action, occurred_at DESC, id DESC)');
    this.addSql('CREATE INDEX audit_event_target_idx ON audit_event (target_type, target_id, occurred_at DESC, id DESC)');
    this.addSql(`CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only';
END
$$`);
    this.addSql(
      'CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()',
    );
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS audit_event');
    this.addSql('DROP FUNCTION IF EXISTS audit_event_append_only()');
  }
}

/** The audit migration, for appending to a service's own migration list (after its existing ones). */
export const auditMigration: MigrationObject = { name: 'Migration20261121200000_audit_event', class: Migration20261121200000AuditEvent };

/** The value secrets are replaced with: the key stays, so a reader sees that a secret changed. */
export const REDACTED = '[REDACTED]';
/** Key names (lowercased, separators removed) that hold secrets; their values are never recorded. */
const SECRET_KEY = /password|passphrase|passwd|secret|token|authorization|credential|privatekey|apikey/;
/** Bounds of one before/after object: deeper levels and longer JSON are cut, never stored whole. */
const MAX_DEPTH = 8;
const MAX_STATE_BYTES = 32 * 1024;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_\s]/g, ''));
}

function toJson(value: unknown, depth: number): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      // undefined, functions, symbols: absent, as in JSON.stringify.
      return undefined;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.map((item) => toJson(item, depth + 1) ?? null);
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const object: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (isSecretKey(key)) {
      object[key] = REDACTED;
      continue;
    }
    const json = toJson(item, depth + 1);
    if (json !== undefined) object[key] = json;
  }
  return object;
}

/**
 * A resource's values as the audit log stores them: a JSON object with every secret-named key
 * (password, password hash, token, secret, credential, …) replaced by {@link REDACTED} at any
 * depth, dates as ISO text, and the whole bounded in depth and size. Undefined and null stay
 * absent. Applied by {@link recordAudit} to every before/after, so a caller that passes a whole
 * row cannot leak its secrets into the log.
 */
export function auditState(value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  const json = toJson(value, 0);
  const object: JsonObject = json !== null && typeof json === 'object' && !Array.isArray(json) ? json : { value: json ?? null };
  const bytes = Buffer.byteLength(JSON.stringify(object));
  return bytes > MAX_STATE_BYTES ? { truncated: true, bytes } : object;
}

/** Who called and from where: the part of an audit event every call of a service has. */
export interface AuditOrigin {
  /** The caller's subject; empty for an anonymous caller. */
  readonly actorSubject: string;
  /** The caller's display name (`name` claim); empty when unknown. */
  readonly actorName: string;
  readonly clientAddress: string;
  readonly userAgent: string;
  readonly traceId: string;
}

const MAX_ORIGIN_LENGTH = 256;

function bounded(value: string | undefined): string {
  return (value ?? '').trim().slice(0, MAX_ORIGIN_LENGTH);
}

/**
 * The origin of a call: the verified caller, and the end client's address and user agent as the
 * edge passed them on (see `propagationMetadata`). Without a forwarded address the direct gRPC
 * peer is the client.
 */
export function auditOriginOf(context: ServiceContext): AuditOrigin {
  const caller = context.caller;
  const name = caller?.claims.name;
  const forwarded = context.metadata.get(FORWARDED_FOR_METADATA)?.split(',')[0];
  const peer = context.peer.replace(/^ipv[46]:/, '');
  return {
    actorSubject: bounded(caller?.subject),
    actorName: bounded(typeof name === 'string' ? name : undefined),
    clientAddress: bounded(forwarded?.trim() || peer),
    userAgent: bounded(context.metadata.get(CLIENT_USER_AGENT_METADATA)),
    traceId: context.traceId,
  };
}

/** What a service records about one operation. */
export interface AuditEntry extends Partial<AuditOrigin> {
  /** The recording service, e.g. `identity`. */
  readonly service: string;
  /** `<area>.<RPC>`, e.g. `identity.CreateUser`. */
  readonly action: string;
  readonly target?: { readonly type: string; readonly id: string };
  /** Default `succeeded`. */
  readonly outcome?: AuditOutcomeName;
  /** The error reason of a failed operation. */
  readonly failureReason?: string;
  /** The resource before the operation (any object; secrets are redacted on the way in). */
  readonly before?: unknown;
  /** The resource after the operation (any object; secrets are redacted on the way in). */
  readonly after?: unknown;
  /** Default now. Kept at millisecond precision. */
  readonly occurredAt?: Date;
}

/**
 * Writes one audit event with `em`, which must be inside the transaction of the change it
 * describes: the event then exists exactly when the change committed. A failed attempt that
 * changes nothing (a refused login) gets a transaction of its own. Throws when `em` is not in a
 * transaction, since an event written beside the change could disagree with it.
 */
export async function recordAudit(em: EntityManager, entry: AuditEntry): Promise<AuditEventRow> {
  if (!em.isInTransaction()) throw new Error('recordAudit needs the EntityManager of the transaction that makes the change');
  const row: AuditEventRow = {
    id: randomUUID(),
    occurredAt: new Date(Math.floor((entry.occurredAt ?? new Date()).getTime())),
    service: entry.service,
    action: entry.action,
    actorSubject: bounded(entry.actorSubject),
    actorName: bounded(entry.actorName),
    targetType: bounded(entry.target?.type),
    targetId: bounded(entry.target?.id),
    outcome: entry.outcome ?? 'succeeded',
    failureReason: bounded(entry.failureReason),
    clientAddress: bounded(entry.clientAddress),
    userAgent: bounded(entry.userAgent),
    traceId: bounded(entry.traceId),
    beforeState: auditState(entry.before) ?? null,
    afterState: auditState(entry.after) ?? null,
  };
  await em.insert(AuditEventSchema, row);
  return row;
}

/** The filters of an audit query. */
export interface AuditFilter {
  readonly actorSubject?: string;
  readonly action?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  /** Inclusive. */
  readonly start?: Date;
  /** Exclusive. */
  readonly end?: Date;
}

/** A place in the newest-first order: events after it are older, or as old with a lower id. */
export interface AuditPosition {
  readonly occurredAt: Date;
  readonly id: string;
}

/**
 * Events matching `filter`, newest first by (occurredAt, id), after `position` when given. Ids
 * compare as PostgreSQL compares uuids (lowercase hex text order), so callers can merge logs.
 */
export async function findAuditEvents(
  em: EntityManager,
  filter: AuditFilter,
  position: AuditPosition | undefined,
  limit: number,
): Promise<AuditEventRow[]> {
  const where: FilterQuery<AuditEventRow> = {};
  if (filter.actorSubject) where.actorSubject = filter.actorSubject;
  if (filter.action) where.action = filter.action;
  if (filter.targetType) where.targetType = filter.targetType;
  if (filter.targetId) where.targetId = filter.targetId;
  if (filter.start || filter.end) {
    where.occurredAt = { ...(filter.start ? { $gte: filter.start } : {}), ...(filter.end ? { $lt: filter.end } : {}) };
  }
  if (position) {
    // The redundant `occurredAt <= t` is what PostgreSQL can seek to in the (occurred_at, id) indexes;
    // the OR alone is only a filter, and a page deep in the log would scan every newer row first.
    where.$and = [
      { occurredAt: { $lte: position.occurredAt } },
      { $or: [{ occurredAt: { $lt: position.occurredAt } }, { occurredAt: position.occurredAt, id: { $lt: position.id } }] },
    ];
  }
  const rows = await em.find(AuditEventSchema, where, { orderBy: { occurredAt: 'desc', id: 'desc' }, limit });
  return rows.map((row) => ({ ...row, occurredAt: row.occurredAt instanceof Date ? row.occurredAt : new Date(row.occurredAt) }));
}

/** The role that may read audit logs. */
export const AUDIT_READER_ROLE = 'admin';
const PAGE = { defaultSize: 50, maxSize: 500 };
const MAX_FILTER_LENGTH = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTROL = /\p{Cc}/u;
/** google.protobuf.Timestamp's valid range (years 1 to 9999); outside it PostgreSQL would fail. */
const EARLIEST = new Date('0001-01-01T00:00:00.000Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();
const pageTokenSchema = z.object({ t: z.string(), i: z.string(), f: z.string() });

const OUTCOME_MESSAGES: Record<AuditOutcomeName, AuditOutcome> = {
  succeeded: AuditOutcome.AUDIT_OUTCOME_SUCCEEDED,
  failed: AuditOutcome.AUDIT_OUTCOME_FAILED,
};

/** The `AuditEvent` message of a stored event. */
export function toAuditEventMessage(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    occurTime: row.occurredAt,
    service: row.service,
    action: row.action,
    actorSubject: row.actorSubject,
    actorName: row.actorName,
    targetType: row.targetType,
    targetId: row.targetId,
    outcome: OUTCOME_MESSAGES[row.outcome] ?? AuditOutcome.AUDIT_OUTCOME_UNSPECIFIED,
    failureReason: row.failureReason,
    clientAddress: row.clientAddress,
    userAgent: row.userAgent,
    traceId: row.traceId,
    before: row.beforeState ?? undefined,
    after: row.afterState ?? undefined,
  };
}

function textFilter(value: string, field: string, violations: FieldViolation[]): string | undefined {
  if (value.length > MAX_FILTER_LENGTH || CONTROL.test(value)) {
    violations.push({ field, description: `at most ${MAX_FILTER_LENGTH} printable characters` });
  }
  return value === '' ? undefined : value;
}

function instant(value: Date | undefined, field: string, violations: FieldViolation[]): Date | undefined {
  if (value === undefined) return undefined;
  const ms = value.getTime();
  if (Number.isNaN(ms) || ms < EARLIEST || ms > LATEST) {
    violations.push({ field, description: 'must be a timestamp between years 1 and 9999' });
    return undefined;
  }
  return value;
}

/** The validated query of a ListAuditEvents request; every problem is reported at once. */
function auditQuery(request: ListAuditEventsRequest): { filter: AuditFilter; position?: AuditPosition; limit: number; fingerprint: string } {
  const limit = resolvePageSize(request.pageSize, PAGE);
  const violations: FieldViolation[] = [];
  const filter: AuditFilter = {
    actorSubject: textFilter(request.actorSubject, 'actor_subject', violations),
    action: textFilter(request.action, 'action', violations),
    targetType: textFilter(request.targetType, 'target_type', violations),
    targetId: textFilter(request.targetId, 'target_id', violations),
    start: instant(request.startTime, 'start_time', violations),
    end: instant(request.endTime, 'end_time', violations),
  };
  if (filter.start && filter.end && filter.end.getTime() <= filter.start.getTime()) {
    violations.push({ field: 'end_time', description: 'must be later than start_time' });
  }
  let position: AuditPosition | undefined;
  if (request.after) {
    if (request.pageToken !== '') violations.push({ field: 'after', description: 'not together with page_token' });
    const occurredAt = instant(request.after.occurTime, 'after.occur_time', violations);
    if (request.after.occurTime === undefined) violations.push({ field: 'after.occur_time', description: 'required' });
    if (!UUID.test(request.after.id)) violations.push({ field: 'after.id', description: 'must be an audit event id (UUID)' });
    if (occurredAt && UUID.test(request.after.id)) position = { occurredAt, id: request.after.id.toLowerCase() };
  }
  if (violations.length > 0) throw invalidArgument('INVALID_AUDIT_QUERY', 'the audit query is not valid', violations);
  // A token continues the query it came from: bound to the filters, it cannot be replayed on others.
  const fingerprint = JSON.stringify([
    filter.actorSubject ?? '',
    filter.action ?? '',
    filter.targetType ?? '',
    filter.targetId ?? '',
    filter.start?.toISOString() ?? '',
    filter.end?.toISOString() ?? '',
  ]);
  if (request.pageToken !== '') {
    const token = decodePageToken(request.pageToken, pageTokenSchema);
    const occurredAt = new Date(token.t);
    if (token.f !== fingerprint || Number.isNaN(occurredAt.getTime())) {
      throw invalidArgument('INVALID_PAGE_TOKEN', 'page_token belongs to a different query', [
        { field: 'page_token', description: 'issued for other filters' },
      ]);
    }
    position = { occurredAt, id: token.i };
  }
  return { filter, position, limit, fingerprint };
}

/** Who may read an audit log: administrators only (the access table of AuditService, for matrix tests). */
export const AUDIT_ACCESS: AccessTable<AuditServiceImplementation> = {
  listAuditEvents: Access.roles([AUDIT_READER_ROLE]),
};

/**
 * `core.audit.v1.AuditService` over the service's own `audit_event` table, guarded by
 * {@link AUDIT_ACCESS}, for `server.add(AuditServiceDefinition, auditServiceImpl(orm))`.
 */
export function auditServiceImpl(orm: MikroORM): AuditServiceImplementation<ServiceContextExt> {
  const impl: AuditServiceImplementation<ServiceContextExt> = {
    async listAuditEvents(request) {
      const { filter, position, limit, fingerprint } = auditQuery(request);
      const rows = await findAuditEvents(orm.em.fork(), filter, position, limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        auditEvents: page.map(toAuditEventMessage),
        nextPageToken:
          rows.length > limit && last ? encodePageToken({ t: last.occurredAt.toISOString(), i: last.id, f: fingerprint }) : '',
      };
    },
  };
  return guardService(impl, AUDIT_ACCESS);
}
