import { type AuditEvent, AuditOutcome } from '@core/contracts/audit/v1';
import { invalidArgument } from '@core/platform';
import { presentText } from '@core/platform/graphql-connections';
import { decodeAuditCursor, encodeAuditCursor, listMergedAuditEvents } from '../audit/audit-log.js';
import type { IdentityContext } from '../context.js';
import { pageRequest } from '../paging.js';

interface AuditEventFilterInput {
  services?: string[] | null;
  actorSubject?: string | null;
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  occurredFrom?: Date | null;
  occurredBefore?: Date | null;
}

interface AuditEventsArgs {
  filter?: AuditEventFilterInput | null;
  first?: number | null;
  after?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The GraphQL name of a proto outcome. */
function outcomeName(outcome: AuditOutcome): 'SUCCEEDED' | 'FAILED' {
  if (outcome === AuditOutcome.AUDIT_OUTCOME_SUCCEEDED) return 'SUCCEEDED';
  if (outcome === AuditOutcome.AUDIT_OUTCOME_FAILED) return 'FAILED';
  throw new Error(`unexpected audit outcome ${outcome} from an audit source`);
}

/** The sources a filter selects; every configured one when it names none. */
function selectedSources(ctx: IdentityContext, services: readonly string[] | null | undefined) {
  if (services === null || services === undefined) return ctx.audit;
  const known = new Set(ctx.audit.map((source) => source.name));
  const unknown = services.filter((name) => !known.has(name));
  if (services.length === 0 || unknown.length > 0) {
    throw invalidArgument('UNKNOWN_AUDIT_SERVICE', `filter.services names services whose audit log this graph does not read`, [
      {
        field: 'filter.services',
        description: services.length === 0 ? 'name at least one service, or omit the filter' : `one or more of: ${[...known].join(', ')}`,
      },
    ]);
  }
  return ctx.audit.filter((source) => services.includes(source.name));
}

/** The audit log of every configured service, merged newest first; each service checks the `admin` role. */
export const auditResolvers = {
  Query: {
    async auditEvents(_: unknown, args: AuditEventsArgs, ctx: IdentityContext) {
      const { pageSize } = pageRequest(args.first, null);
      const after = args.after === null || args.after === undefined ? undefined : decodeAuditCursor(args.after);
      const filter = args.filter ?? {};
      const sources = selectedSources(ctx, filter.services);
      const page = await listMergedAuditEvents(
        sources,
        {
          actorSubject: filter.actorSubject ?? '',
          action: filter.action ?? '',
          targetType: filter.targetType ?? '',
          targetId: filter.targetId ?? '',
          startTime: filter.occurredFrom ?? undefined,
          endTime: filter.occurredBefore ?? undefined,
        },
        pageSize,
        after,
      );
      const edges = page.events.map((node) => ({ node, cursor: encodeAuditCursor(node) }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  },
  AuditEvent: {
    occurredAt: (e: AuditEvent) => e.occurTime,
    actor: (e: AuditEvent) => (e.actorSubject === '' ? null : { subject: e.actorSubject, name: presentText(e.actorName) }),
    target: (e: AuditEvent) => (e.targetType === '' ? null : { type: e.targetType, id: presentText(e.targetId) }),
    outcome: (e: AuditEvent) => outcomeName(e.outcome),
    failureReason: (e: AuditEvent) => presentText(e.failureReason),
    clientAddress: (e: AuditEvent) => presentText(e.clientAddress),
    userAgent: (e: AuditEvent) => presentText(e.userAgent),
    traceId: (e: AuditEvent) => presentText(e.traceId),
    before: (e: AuditEvent) => e.before ?? null,
    after: (e: AuditEvent) => e.after ?? null,
  },
  AuditActor: {
    /** Users of this identity service by id (one BatchGetUsers per page); service identities have none. */
    user: (actor: { subject: string }, _: unknown, ctx: IdentityContext) =>
      UUID.test(actor.subject) ? ctx.loaders.users.load(actor.subject) : null,
  },
};
