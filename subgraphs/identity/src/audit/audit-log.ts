import {
  type AuditEvent,
  type AuditEventPosition,
  type AuditServiceClient,
  AuditServiceDefinition,
  type ListAuditEventsRequest,
  type ListAuditEventsResponse,
} from '@core/contracts/audit/v1';
import {
  bindClient,
  createGrpcClient,
  DomainError,
  type FieldViolation,
  fromGrpcError,
  type GrpcCallListener,
  type GrpcCallOptions,
  invalidArgument,
  unavailable,
} from '@core/platform';
import type { Metadata } from 'nice-grpc-common';

/** A service whose audit log the subgraph reads: its name (as it records it) and gRPC address. */
export interface AuditSource {
  readonly name: string;
  readonly address: string;
}

/** The AuditService client of one source. */
export interface AuditSourceClient {
  readonly name: string;
  readonly client: AuditServiceClient<GrpcCallOptions>;
}

/** Long-lived channels to every audit source; one per subgraph process. */
export interface AuditChannels {
  /** The clients bound to one request's metadata (bearer token, trace, client origin). */
  bind(metadata: Metadata, onCall: GrpcCallListener): AuditSourceClient[];
  /** The configured source names, in configuration order. */
  readonly names: readonly string[];
  close(): void;
}

/** Opens an AuditService client per source (deadlines, retries of this idempotent read, keepalive from the platform). */
export function openAuditChannels(sources: readonly AuditSource[]): AuditChannels {
  const opened = sources.map((source) => ({ name: source.name, ...createGrpcClient(AuditServiceDefinition, source.address) }));
  return {
    names: opened.map((source) => source.name),
    bind: (metadata, onCall) =>
      opened.map((source) => ({
        name: source.name,
        client: bindClient(source.client as AuditServiceClient<GrpcCallOptions>, 'AuditService', metadata, onCall),
      })),
    close() {
      for (const source of opened) source.close();
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An edge cursor: the event's (occurredAt, id), the same place in every source's newest-first
 * order, so the next page asks each source for what comes after it. Not signed: it grants nothing
 * (every page is filtered and authorised afresh), it only says where to continue.
 */
export function encodeAuditCursor(event: AuditEvent): string {
  return Buffer.from(JSON.stringify([event.occurTime?.getTime() ?? 0, event.id])).toString('base64url');
}

/** The position of a cursor from {@link encodeAuditCursor}; BAD_USER_INPUT on `after` for anything else. */
export function decodeAuditCursor(cursor: string): AuditEventPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    !Number.isSafeInteger(decoded[0]) ||
    typeof decoded[1] !== 'string' ||
    !UUID.test(decoded[1])
  ) {
    throw invalidArgument('INVALID_CURSOR', 'after is not a cursor of this connection', [
      { field: 'after', description: 'pass a cursor of an edge returned by auditEvents' },
    ]);
  }
  return { occurTime: new Date(decoded[0] as number), id: decoded[1] };
}

/**
 * Newest first by (occurTime, id), both descending: the order every source pages in (ids compare
 * as PostgreSQL compares uuids, i.e. as lowercase hex text).
 */
export function newestFirst(a: AuditEvent, b: AuditEvent): number {
  const byTime = (b.occurTime?.getTime() ?? 0) - (a.occurTime?.getTime() ?? 0);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** One merged page. */
export interface MergedPage {
  readonly events: AuditEvent[];
  readonly hasNextPage: boolean;
}

/**
 * Merges pages that every source answered from the same position with the same size `first`.
 * Whatever the merged page leaves out of a source's page is newer than nothing it took, so the
 * next page, asked from the last event taken, misses nothing and repeats nothing. More exists
 * exactly when the sources answered more than `first` between them or any of them has a next page.
 */
export function mergeNewestFirst(pages: readonly ListAuditEventsResponse[], first: number): MergedPage {
  const all = pages.flatMap((page) => page.auditEvents).sort(newestFirst);
  return {
    events: all.slice(0, first),
    hasNextPage: all.length > first || pages.some((page) => page.nextPageToken !== ''),
  };
}

/** The audit filters a GraphQL caller gives, in proto terms. */
export type AuditFilterRequest = Pick<ListAuditEventsRequest, 'actorSubject' | 'action' | 'targetType' | 'targetId' | 'startTime' | 'endTime'>;

/** Request fields of ListAuditEvents ⇄ the GraphQL arguments a caller sent. */
const ARGUMENT_OF_FIELD: Record<string, string> = {
  page_size: 'first',
  page_token: 'after',
  after: 'after',
  'after.id': 'after',
  'after.occur_time': 'after',
  actor_subject: 'filter.actorSubject',
  action: 'filter.action',
  target_type: 'filter.targetType',
  target_id: 'filter.targetId',
  start_time: 'filter.occurredFrom',
  end_time: 'filter.occurredBefore',
};

/**
 * A source's failure as the GraphQL caller should see it: field violations named after the
 * GraphQL arguments, the source named in the metadata, and an unreachable source as UNAVAILABLE
 * 'AUDIT_SOURCE_UNAVAILABLE' (a page without one source's events would have gaps, so there is no
 * partial answer; the caller may leave that source out with `filter.services`).
 */
function sourceFailure(source: string, err: unknown): unknown {
  const domain = fromGrpcError(err);
  if (domain === undefined) return err;
  if (domain.code === 'UNAVAILABLE' || domain.code === 'DEADLINE_EXCEEDED') {
    return unavailable(
      'AUDIT_SOURCE_UNAVAILABLE',
      `the audit log of ${source} is unavailable; retry later, or leave ${source} out with filter.services`,
      { service: source },
    );
  }
  const violations: FieldViolation[] = domain.fieldViolations.map((v) => ({ ...v, field: ARGUMENT_OF_FIELD[v.field] ?? v.field }));
  return new DomainError(domain.code, domain.reason, domain.message, { ...domain.metadata, service: source }, violations);
}

/**
 * One page of the merged audit log of `sources`: each source is asked for `first` events after
 * `after` (in parallel), and the answers are merged newest first.
 */
export async function listMergedAuditEvents(
  sources: readonly AuditSourceClient[],
  filter: AuditFilterRequest,
  first: number,
  after: AuditEventPosition | undefined,
): Promise<MergedPage> {
  const pages = await Promise.all(
    sources.map(async (source) => {
      try {
        return await source.client.listAuditEvents({ ...filter, pageSize: first, pageToken: '', after });
      } catch (err) {
        throw sourceFailure(source.name, err);
      }
    }),
  );
  return mergeNewestFirst(pages, first);
}
