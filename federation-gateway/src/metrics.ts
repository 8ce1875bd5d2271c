import type { Metrics } from '@core/platform';
import { Counter, Histogram } from 'prom-client';

/** Operation names are client-chosen; beyond this many distinct names new ones count as `other`. */
const MAX_OPERATION_NAMES = 500;

/** Records each GraphQL request the gateway answered (see {@link graphQLRequestMetrics}). */
export interface GraphQLRequestMetrics {
  record(operationName: string | null | undefined, failed: boolean, seconds: number): void;
}

/**
 * Prometheus metrics of the GraphQL edge: `graphql_requests_total` and
 * `graphql_request_duration_seconds`, labelled by operation name and outcome (`success` or `error`).
 */
export function graphQLRequestMetrics(metrics: Metrics): GraphQLRequestMetrics {
  const labelNames = ['operation', 'outcome'] as const;
  const requests = new Counter({
    name: `${metrics.prefix}graphql_requests_total`,
    help: 'GraphQL requests answered by the gateway, by operation name and outcome.',
    labelNames,
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: `${metrics.prefix}graphql_request_duration_seconds`,
    help: 'Time from receiving a GraphQL request to sending its response, by operation name and outcome.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  // One pair of bound series per admitted label set: prom-client's `inc(labels)` and
  // `observe(labels, v)` hash the label object on every call, a bound child does not.
  const series = new Map<string, { requests: { inc(): void }; duration: { observe(value: number): void } }>();
  const seriesOf = (operation: string, outcome: 'success' | 'error') => {
    const id = `${outcome}:${operation}`;
    let bound = series.get(id);
    if (!bound) {
      bound = { requests: requests.labels(operation, outcome), duration: duration.labels(operation, outcome) };
      series.set(id, bound);
    }
    return bound;
  };

  // Bounded label cardinality: a hostile client must not be able to grow the registry without limit.
  const seenOperations = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    // Names already admitted passed the pattern; checking the set first skips the regex per request.
    if (seenOperations.has(name)) return name;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(name)) return 'invalid';
    if (seenOperations.size >= MAX_OPERATION_NAMES) return 'other';
    seenOperations.add(name);
    return name;
  };

  return {
    record(operationName, failed, seconds) {
      const bound = seriesOf(operationLabel(operationName), failed ? 'error' : 'success');
      bound.requests.inc();
      bound.duration.observe(seconds);
    },
  };
}

/** Why the edge refused a request before (or instead of) running it. */
export type EdgeRefusalReason =
  | 'rate_limited'
  | 'unauthenticated'
  | 'auth_unavailable'
  | 'body_too_large'
  | 'malformed_json'
  | 'depth'
  | 'aliases'
  | 'cost'
  | 'directives'
  | 'tokens';

/** Counters of the gateway's edge protections. */
export interface EdgeMetrics {
  /** `gateway_refused_requests_total{reason}`. */
  refused: { inc(labels: { reason: EdgeRefusalReason }): void };
}

/**
 * `gateway_refused_requests_total{reason}`: requests the edge answered with a refusal (429, 401,
 * 413, 400 for a malformed body or a query over a limit). Every reason starts at 0, so dashboards
 * and alerts see the series before the first refusal.
 */
export function edgeMetrics(metrics: Metrics): EdgeMetrics {
  const refused = new Counter({
    name: `${metrics.prefix}gateway_refused_requests_total`,
    help: 'Requests refused by the gateway edge protections, by reason.',
    labelNames: ['reason'] as const,
    registers: [metrics.registry],
  });
  const reasons: EdgeRefusalReason[] = ['rate_limited', 'unauthenticated', 'body_too_large', 'malformed_json', 'depth', 'aliases', 'cost', 'directives', 'tokens'];
  for (const reason of reasons) refused.labels(reason).inc(0);
  return { refused };
}
