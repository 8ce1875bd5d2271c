import autocannon from 'autocannon';

/** Outcome of one bounded GraphQL-over-HTTP load phase. */
export interface HttpLoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  graphqlErrors: number;
  transportErrors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

/**
 * POSTs one GraphQL operation with rotating variables at a fixed number of connections with
 * autocannon, bounded by duration and by total requests. Every response body is checked for a
 * GraphQL `errors` member, since a failed operation still answers HTTP 200.
 */
export async function runGraphqlLoad(options: {
  url: string;
  query: string;
  variables: ReadonlyArray<Record<string, unknown>>;
  connections: number;
  seconds: number;
  maxRequests: number;
  /** Headers per request, rotating independently of the variables (e.g. one bearer token per user). */
  headers?: ReadonlyArray<Record<string, string>>;
}): Promise<HttpLoadResult> {
  let next = 0;
  let nextHeaders = 0;
  let graphqlErrors = 0;
  const base = { 'content-type': 'application/json', accept: 'application/json' };
  const headerSets = (options.headers ?? [{}]).map((headers) => ({ ...base, ...headers }));
  let firstError: string | undefined;
  const bodies = options.variables.map((variables) => JSON.stringify({ query: options.query, variables }));
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    maxOverallRequests: options.maxRequests,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        headers: headerSets[0],
        setupRequest: (request) => ({ ...request, headers: headerSets[nextHeaders++ % headerSets.length], body: bodies[next++ % bodies.length] }),
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && !body.includes('"errors"')) return;
          if (status >= 200 && status < 300) graphqlErrors++;
          firstError ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  const ok = result['2xx'] - graphqlErrors;
  return {
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    graphqlErrors,
    transportErrors: result.errors + result.timeouts,
    seconds: result.duration,
    requestsPerSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ...(firstError ? { firstError } : {}),
  };
}

/** One GraphQL POST; throws on transport errors or GraphQL errors. */
export async function graphqlRequest<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: T; errors?: unknown[] };
  if (!response.ok || body.errors?.length || body.data === undefined) {
    throw new Error(`GraphQL ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return body.data;
}
