import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { startHttpServer } from './http.js';
import type { Metrics } from './metrics.js';

/** Default largest accepted GraphQL request body: operations are small, files go through their own upload route. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** A request body over the limit of {@link readRequestBody}. */
export class BodyTooLargeError extends Error {}

/**
 * The whole request body as text, at most `maxBytes`. Listeners rather than `for await`: an async
 * iterator and a promise per chunk are a measurable share of a small GraphQL request. A declared
 * `content-length` over the limit is refused before reading anything. The listeners are inline
 * arrows over one state object (no named closures: under tsx each costs a `__name` call per request).
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const state = { chunks: [] as Buffer[], size: 0, refused: false };
    req.on('data', (chunk: Buffer) => {
      if (state.refused) return;
      state.size += chunk.length;
      if (state.size > maxBytes) {
        // Whatever still arrives is dropped; the caller answers 413 and closes the connection.
        state.refused = true;
        state.chunks.length = 0;
        reject(new BodyTooLargeError());
        return;
      }
      state.chunks.push(chunk);
    });
    req.on('end', () => {
      if (state.refused) return;
      const { chunks } = state;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', reject);
  });
}

/**
 * Answers a request refused before GraphQL ran (413, 401, 429, 503, …) the way GraphQL clients
 * read errors: `{ "errors": [{ message, extensions }] }` as JSON, with any extra headers
 * (`retry-after`, `www-authenticate`, …). The one writer of such answers for every HTTP route.
 */
export function sendGraphQLError(
  res: ServerResponse,
  status: number,
  message: string,
  extensions: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions }] }));
}

function sendJsonError(res: ServerResponse, status: number, message: string, code: string): void {
  // After a refused body the rest of it is still on the wire: close the connection rather than read it.
  sendGraphQLError(res, status, message, { code }, status === 413 ? { connection: 'close' } : {});
}

/**
 * Serves one GraphQL-over-HTTP request with Apollo Server on plain node:http (Apollo Server 5 ships
 * no framework integration). JSON bodies are read here, bounded by `maxBodyBytes`, so an oversized
 * or malformed body is a 413/400 answer rather than an exception.
 */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  context: () => Promise<TContext>,
  options: { maxBodyBytes?: number; onRefused?: (reason: GraphQLHttpRefusal) => void } = {},
): Promise<void> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const headers = new HeaderMap();
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown;
  if (req.method === 'POST') {
    let raw: string;
    try {
      raw = await readRequestBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        options.onRefused?.('body_too_large');
        return sendJsonError(res, 413, 'request body too large', 'PAYLOAD_TOO_LARGE');
      }
      throw err;
    }
    const contentType = headers.get('content-type') ?? '';
    if (contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json')) {
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        options.onRefused?.('malformed_json');
        return sendJsonError(res, 400, 'request body is not valid JSON', 'BAD_REQUEST');
      }
    } else {
      body = raw;
    }
  }
  const httpGraphQLRequest: HTTPGraphQLRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    headers,
    search: searchOf(req),
    body,
  };
  const response = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
  // writeHead with a flat [name, value, …] list stores the header block once; setHeader per header
  // would validate and keep each in a map first.
  const head: string[] = [];
  let contentType = '';
  for (const [name, value] of response.headers) {
    head.push(name, value);
    if (name === 'content-type') contentType = value;
  }
  res.writeHead(legacyStatus(response.status ?? 200, contentType, response.body), head);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * Error codes of a well-formed GraphQL-over-HTTP request whose document or variables are wrong:
 * Apollo answers them 400, which the GraphQL-over-HTTP spec asks for only with
 * `application/graphql-response+json`.
 */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * The status of a response in the legacy `application/json` media type: the spec says a server
 * SHOULD answer 200 when a well-formed request fails parsing, validation or variable coercion (the
 * errors are in the body), while `application/graphql-response+json` keeps Apollo's 400. Other
 * 400s (a malformed request, a refused query limit) stay 4xx in both.
 */
function legacyStatus(status: number, contentType: string, body: { kind: string; string?: string }): number {
  if (status !== 400 || !contentType.startsWith('application/json') || body.kind !== 'complete' || body.string === undefined) return status;
  const parsed = JSON.parse(body.string) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
  const errors = parsed.errors ?? [];
  const requestErrors = errors.length > 0 && !('data' in parsed) && errors.every((e) => REQUEST_ERROR_CODES.has(e.extensions?.code as string));
  return requestErrors ? 200 : status;
}

/** The query string of a request URL with its `?` (empty when there is none), as `URL.search` gives it. */
function searchOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const start = url.indexOf('?');
  return start === -1 || start === url.length - 1 ? '' : url.slice(start);
}

/** The path of a request URL without its query string. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

/** Options of {@link startGraphQLHttpServer}. */
export interface GraphQLHttpServerOptions<TContext extends BaseContext> {
  /** Serves `/graphql` with Apollo Server, unless `graphql` is given. */
  server?: ApolloServer<TContext>;
  /** Builds the per-request context (headers to propagate, DataLoaders, …) for `server`. */
  context?: (req: IncomingMessage) => Promise<TContext>;
  /** Serves `/graphql` itself instead of Apollo Server (after `admit`). */
  graphql?: GraphQLHttpRoute;
  /** `/health/ready`: whether this process should receive traffic now. */
  ready: () => boolean | Promise<boolean>;
  /** `/metrics` is served only when given. */
  metrics?: Metrics;
  maxBodyBytes?: number;
  /**
   * Extra exact paths served by the same server (e.g. `POST /uploads`), checked after `/graphql`
   * and before the probes; each handler answers every method itself.
   */
  routes?: Record<string, GraphQLHttpRoute>;
  /**
   * Runs before `/graphql` and every extra route (not before probes or `/metrics`): resolves true
   * to let the request through, or answers it itself (CORS preflight, 429, …) and resolves false.
   */
  admit?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Told of every request refused before it reaches Apollo (for metrics). */
  onRefused?: (reason: GraphQLHttpRefusal) => void;
  port: number;
  host: string;
}

/** Why {@link handleGraphQLRequest} refused a request before Apollo saw it. */
export type GraphQLHttpRefusal = 'body_too_large' | 'malformed_json';

/** A handler of one extra path of {@link startGraphQLHttpServer}; a rejection answers 500. */
export type GraphQLHttpRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A GraphQL HTTP endpoint started by {@link startGraphQLHttpServer}. */
export interface GraphQLHttpServer {
  /** `http://host:port/graphql`, with a wildcard bind address replaced by loopback. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The HTTP face every GraphQL deployable shares: `/graphql`, `/health/live` (the process runs),
 * `/health/ready` (as `ready` says; probes take replicas out of rotation while they stop) and
 * `/metrics`. Keeping it in one place keeps probe semantics identical across the gateway and every
 * subgraph, which the Kubernetes manifests rely on.
 */
export async function startGraphQLHttpServer<TContext extends BaseContext>(
  options: GraphQLHttpServerOptions<TContext>,
): Promise<GraphQLHttpServer> {
  const { server, metrics } = options;
  const graphql: GraphQLHttpRoute =
    options.graphql ??
    (() => {
      const { context } = options;
      if (!server || !context) throw new Error('startGraphQLHttpServer needs `graphql`, or `server` with `context`');
      const handlerOptions = { maxBodyBytes: options.maxBodyBytes, onRefused: options.onRefused };
      return (req, res) => handleGraphQLRequest(server, req, res, () => context(req), handlerOptions);
    })();
  const routes = new Map(Object.entries(options.routes ?? {}));
  const { admit } = options;
  const http = await startHttpServer(
    async (req, res) => {
      const path = pathOf(req);
      if (path === '/graphql') {
        if (admit && !(await admit(req, res))) return;
        await graphql(req, res);
      } else if (routes.has(path)) {
        if (admit && !(await admit(req, res))) return;
        await routes.get(path)!(req, res);
      } else if (path === '/health/live') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/health/ready') {
        const ready = await options.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
      } else if (path === '/metrics' && metrics) {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    },
    options.port,
    options.host,
  );
  const urlHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return { url: `http://${urlHost}:${http.port}/graphql`, port: http.port, close: () => http.close() };
}
