import type { IncomingHttpHeaders } from 'node:http';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { Dispatcher } from 'undici';

/** Who is calling, as the gateway's `identify` hook established it (undefined: anonymous). */
export interface GatewayCaller {
  /** Stable id of the verified caller (the token's `sub`). */
  subject?: string;
}

/** Per-request context of the gateway: what downstream hops must receive from the client request. */
export interface GatewayContext {
  readonly headers: IncomingHttpHeaders;
  /** The verified caller, when the gateway has an `identify` hook and it recognised one. */
  readonly caller?: GatewayCaller;
  /**
   * The `x-forwarded-for` to send on: the trusted incoming chain (if any) with the client
   * connection's address appended, so services can record where a request came from.
   */
  readonly forwardedFor?: string;
}

/**
 * Client headers every subgraph must see: the bearer token (identity), the W3C trace context and
 * the user agent (recorded by audit logs). `x-forwarded-for` is not copied but rebuilt by the
 * gateway (see {@link GatewayContext.forwardedFor}).
 */
export const PROPAGATED_HEADERS = ['authorization', 'traceparent', 'tracestate', 'user-agent'] as const;

/** What `process` answers: the subgraph's GraphQL response. */
type SubgraphAnswer = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** A cache hint as the request's overall cache policy takes it (the gateway host's, shaped like Apollo Server's). */
export interface CacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

/** Options of {@link SubgraphDataSource}. */
export interface SubgraphDataSourceOptions {
  /** Subgraph name, as in the supergraph (for error messages). */
  name: string;
  /** The subgraph's GraphQL endpoint. */
  url: string;
  /**
   * Keep-alive connection pools (an undici `Agent`), shared by every data source of one gateway;
   * its headers and body timeouts bound how long a subgraph may take.
   */
  dispatcher: Dispatcher;
}

/**
 * The gateway's client of one subgraph: POSTs the operations of a query plan as JSON over
 * undici with keep-alive pools, forwarding identity and trace headers of the client request.
 *
 * Apollo's `RemoteGraphQLDataSource` goes through make-fetch-happen (an npm-registry client with
 * agent-base, which builds a stack trace per request to guess the protocol) and node-fetch
 * Request/Headers objects; on the bench's customer-by-code query that client was the largest
 * single cost of the gateway hop. This class keeps its observable behaviour — the request body,
 * `willSendRequest`-style header propagation, non-2xx answers as `"<status>: <text>"` errors with
 * `extensions.response` (401 ⇒ UNAUTHENTICATED, 403 ⇒ FORBIDDEN), JSON or text bodies by content
 * type, and the subgraph's `cache-control` restricting the overall cache policy — on a cheaper
 * transport.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly name: string;
  readonly url: string;
  private readonly origin: string;
  private readonly path: string;
  private readonly dispatcher: Dispatcher;

  constructor(options: SubgraphDataSourceOptions) {
    this.name = options.name;
    this.url = options.url;
    const target = new URL(options.url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new Error(`subgraph ${options.name}: routing URL must be http(s), got ${options.url}`);
    }
    this.origin = target.origin;
    this.path = `${target.pathname}${target.search}`;
    this.dispatcher = options.dispatcher;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphAnswer> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    // Only operations of a client request carry its context; gateway-internal requests (health
    // checks, schema loading) have no client request behind them.
    if ('incomingRequestContext' in options) {
      const context = options.context as Partial<GatewayContext>;
      const incoming = context.headers;
      if (incoming !== undefined) {
        for (const name of PROPAGATED_HEADERS) {
          const value = incoming[name];
          const text = Array.isArray(value) ? value[0] : value;
          if (text) headers[name] = text;
        }
      }
      if (context.forwardedFor) headers['x-forwarded-for'] = context.forwardedFor;
    }
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName, extensions: request.extensions });

    const response = await this.post(headers, body);
    const parsed = parseBody(response);
    if (response.status < 200 || response.status > 299) throw errorFromResponse(this.url, response, parsed);
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`Expected JSON response body, but received: ${String(parsed)}`);

    if ('incomingRequestContext' in options) {
      const policy = options.incomingRequestContext.overallCachePolicy as { restrict?: (hint: CacheHint) => void } | undefined;
      if (policy && typeof policy.restrict === 'function') policy.restrict(cacheHintOf(response.headers['cache-control']));
    }
    return parsed as SubgraphAnswer;
  }

  /**
   * One POST through undici's dispatcher with a minimal handler: the body is collected as buffers
   * and decoded once. (undici's `request()` would wrap it in a Readable, `fetch()` in WHATWG
   * streams and Response objects — per-request allocations a tiny GraphQL answer does not need.)
   */
  private post(headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    return new Promise((resolve, reject) => {
      this.dispatcher.dispatch({ origin: this.origin, path: this.path, method: 'POST', headers, body }, new ResponseCollector(this, resolve, reject));
    });
  }
}

/**
 * undici dispatch handler collecting one whole response. Its hooks are prototype methods, so a
 * request allocates one small object rather than a closure per hook (under tsx every named
 * closure also costs a `__name` property definition per request).
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private status = 0;
  private statusText = '';
  private headers: IncomingHttpHeaders = {};

  constructor(
    private readonly source: { readonly name: string; readonly url: string },
    private readonly resolve: (response: SubgraphResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  /** undici requires the hook; nothing to do before the response (no cancellation here). */
  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.status = statusCode;
    this.statusText = statusMessage ?? '';
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const { chunks } = this;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.status, statusText: this.statusText, headers: this.headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.reject(new Error(`request to subgraph ${this.source.name} at ${this.source.url} failed: ${err.message}`, { cause: err }));
  }
}

/** A whole subgraph answer; GraphQL responses are small enough to hold in memory at once. */
interface SubgraphResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  text: string;
}

/** JSON for the GraphQL media types, text otherwise (as Apollo's RemoteGraphQLDataSource does). */
function parseBody(response: SubgraphResponse): unknown {
  const contentType = response.headers['content-type'];
  if (contentType?.startsWith('application/json') || contentType?.startsWith('application/graphql-response+json')) {
    return JSON.parse(response.text);
  }
  return response.text;
}

/** A non-2xx subgraph answer as the error Apollo Gateway clients already know. */
function errorFromResponse(url: string, response: SubgraphResponse, body: unknown): GraphQLError {
  const extensions: Record<string, unknown> = {
    response: { url, status: response.status, statusText: response.statusText, body },
  };
  if (response.status === 401) extensions.code = 'UNAUTHENTICATED';
  else if (response.status === 403) extensions.code = 'FORBIDDEN';
  return new GraphQLError(`${response.status}: ${response.statusText}`, { extensions });
}

/**
 * The cache hint a subgraph's `cache-control` header grants: `max-age` in whole seconds and
 * `private`/`public` scope; no header (or no max-age) means not cacheable (max-age 0).
 */
export function cacheHintOf(header: string | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  if (!header) return hint;
  for (const directive of header.split(',')) {
    const [rawName, rawValue] = directive.split('=', 2);
    const name = rawName?.trim().toLowerCase();
    const value = rawValue?.trim().replace(/^"|"$/g, '');
    if (name === 'max-age' && value !== undefined && /^[0-9]+$/.test(value)) hint.maxAge = Number(value);
    else if (name === 'private') hint.scope = 'PRIVATE';
    else if (name === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
}
