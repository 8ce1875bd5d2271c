import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloGateway } from '@apollo/gateway';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { type Logger, throttledWarn } from '@core/platform';
import { BodyTooLargeError, readRequestBody, sendGraphQLError } from '@core/platform/graphql-http';
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError as GraphQLErrorType,
  type GraphQLFormattedError,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { createHandler, type OperationArgs, type Request as HttpRequest, type RequestParams, type Response as HttpResponse } from 'graphql-http';
import { LRUCache } from 'lru-cache';
import { checkDocument, exceedsTokens, type QueryLimitError, type QueryLimitReason, type QueryLimits, refusalOfTokens } from './limits.js';
import type { GraphQLRequestMetrics } from './metrics.js';
import type { GatewayContext } from './subgraph-source.js';

type Loaded = Awaited<ReturnType<ApolloGateway['load']>>;
type Executor = Loaded['executor'];
type ExecutorRequestContext = Parameters<Executor>[0];

/** graphql-http's operation context: the request's state. */
type OperationState = { state: RequestState };

/** What the host keeps per request between graphql-http's hooks (graphql-http's `context`). */
interface RequestState {
  readonly gateway: GatewayContext;
  source: string;
  extensions: Record<string, unknown> | undefined;
  operation: OperationDefinitionNode | undefined;
  /** The operation name the client gave, for metrics (also for requests refused before running). */
  operationName: string | undefined;
  /** Whether the request got as far as GraphQL (past graphql-http's protocol checks): counted in metrics. */
  reached: boolean;
  /** Whether the operation ran, and whether its result carried errors. */
  executed: boolean;
  failed: boolean;
  /** The gateway itself failed running it (answered 500). */
  crashed: boolean;
  /** A persisted query to register once the operation has passed every check and runs. */
  register: { key: string; query: string } | undefined;
  readonly policy: CachePolicy;
}

/** Options of {@link createGraphQLHost}. */
export interface GraphQLHostOptions {
  /** The API schema of the loaded supergraph (what clients validate against). */
  schema: GraphQLSchema;
  executor: Executor;
  logger: Logger;
  introspection: boolean;
  limits: QueryLimits;
  onLimitRefused: (reason: QueryLimitReason) => void;
  onRefused: (reason: 'body_too_large' | 'malformed_json') => void;
  /** Registered persisted queries (keys `apq:<sha256>`). */
  apq: { cache: KeyValueCache<string>; ttlSeconds: number };
  /** Shapes every error a client sees (after codes are filled in). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metrics: GraphQLRequestMetrics;
  maxBodyBytes: number;
}

/** Parsed and validated documents by query text; only valid ones are kept (bounded). */
interface KnownDocument {
  readonly document: DocumentNode;
  /** sha256 of the text: Apollo Gateway's query-plan cache key. */
  readonly hash: string;
}

const MAX_CACHED_DOCUMENTS = 1_000;
/** Texts longer than this are parsed per request rather than cached (comments are free of the token limit). */
const MAX_CACHED_QUERY_LENGTH = 16 * 1024;
/** Budget of the document cache: each entry holds its text twice (key and parsed source) plus the tree. */
const DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024;
/** Longest query text registered as a persisted query (longer ones still run, unregistered). */
const MAX_PERSISTED_QUERY_LENGTH = 64 * 1024;

/**
 * The cache hint of a response: Apollo Gateway narrows it with each subgraph's `cache-control`
 * (see `SubgraphDataSource`); the host turns what is left into the response's `cache-control`.
 */
class CachePolicy {
  maxAge: number | undefined;
  scope: 'PUBLIC' | 'PRIVATE' = 'PUBLIC';

  restrict(hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }): void {
    if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge)) this.maxAge = hint.maxAge;
    if (hint.scope === 'PRIVATE') this.scope = 'PRIVATE';
  }

  policyIfCacheable(): { maxAge: number; scope: 'PUBLIC' | 'PRIVATE' } | null {
    return this.maxAge !== undefined && this.maxAge > 0 ? { maxAge: this.maxAge, scope: this.scope } : null;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Codes of graphql-http's bodiless protocol refusals. */
const PROTOCOL_CODES: Record<number, string> = { 405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** A GraphQL error with `extensions.code` (the code clients and the existing Apollo clients switch on). */
function coded(error: GraphQLErrorType, code: string, hideSuggestions = false): GraphQLError {
  const message = hideSuggestions ? error.message.replace(/ Did you mean(.+?)\?$/, '') : error.message;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: error.extensions.code ?? code },
  });
}

/** A whole HTTP answer graphql-http sends as it is (a refusal the GraphQL-over-HTTP status rules do not cover). */
function answer(status: number, errors: Array<{ message: string; extensions: Record<string, unknown> }>, headers: Record<string, string> = {}): HttpResponse {
  return [JSON.stringify({ errors }), { status, statusText: status === 200 ? 'OK' : 'Bad Request', headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }];
}

function limitAnswer(error: QueryLimitError): HttpResponse {
  return answer(400, [{ message: error.message, extensions: { code: error.extensions.code, limit: error.extensions.limit } }]);
}

const LANDING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Core Gateway GraphQL</title></head>
<body><h1>Core Gateway GraphQL endpoint</h1>
<p>Send GraphQL requests here with POST (or GET for queries). Introspection is on in this environment, so a GraphQL IDE
(for example Apollo Sandbox, <code>https://studio.apollographql.com/sandbox/explorer</code>) pointed at this URL can browse the schema.</p>
</body></html>
`;

/**
 * Whether the client's Accept picks the GraphQL response media type, as graphql-http negotiates it
 * (first acceptable entry wins): the host's own refusals are then sent in that media type too.
 */
function prefersGraphQLResponse(accept: string | undefined): boolean {
  for (const entry of (accept ?? '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const mediaType = entry.split(';')[0];
    if (mediaType === 'application/graphql-response+json') return true;
    if (mediaType === 'application/json' || mediaType === 'application/*' || mediaType === '*/*') return false;
  }
  return false;
}

/** Whether a GET asks for a page rather than a GraphQL answer (a browser opening the URL). */
function wantsPage(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return req.method === 'GET' && accept.includes('text/html') && !(req.url ?? '').includes('query=') && !(req.url ?? '').includes('extensions=');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serves GraphQL over HTTP for the gateway with graphql-http's handler (the reference
 * implementation of the GraphQL-over-HTTP spec) around Apollo Gateway's executor, without Apollo
 * Server's request pipeline: per request only what the edge needs — persisted queries (APQ), the
 * token and query limits, cached parsing and validation, variable coercion, execution and error
 * shaping. A document is parsed and validated once and kept by its text (bounded), so a repeated
 * operation costs a map lookup.
 */
export function createGraphQLHost(options: GraphQLHostOptions): (req: IncomingMessage, res: ServerResponse, context: GatewayContext) => Promise<void> {
  const { schema, executor, logger, introspection, limits } = options;
  // Both can be caused by any client or by a subgraph outage at full request rate: throttled.
  const warnRefused = throttledWarn(logger);
  const warnFetch = throttledWarn(logger);
  const documents = new LRUCache<string, KnownDocument>({
    max: MAX_CACHED_DOCUMENTS,
    maxSize: DOCUMENT_CACHE_BYTES,
    sizeCalculation: (_entry, source) => source.length * 4,
  });
  // Persisted texts seen by this process, by key: a hash names one text for good, so a local copy
  // is always right and saves the shared store a round trip per request. Bounded like the documents.
  const persistedTexts = new LRUCache<string, string>({
    max: MAX_CACHED_DOCUMENTS,
    maxSize: DOCUMENT_CACHE_BYTES,
    sizeCalculation: (text) => text.length * 2,
  });
  const rules = introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  const hideSuggestions = !introspection;

  /** Parses, checks limits and validates a query text; the outcome for a valid one is cached. */
  const known = (source: string): KnownDocument | HttpResponse | readonly GraphQLError[] => {
    const cached = documents.get(source);
    if (cached) return cached;
    if (exceedsTokens(source, limits.maxTokens)) {
      options.onLimitRefused('tokens');
      return limitAnswer(refusalOfTokens(limits.maxTokens));
    }
    let document: DocumentNode;
    try {
      document = parse(source, { maxTokens: limits.maxTokens });
    } catch (err) {
      if (err instanceof GraphQLError) return [coded(err, 'GRAPHQL_PARSE_FAILED')];
      throw err;
    }
    const refused = checkDocument(schema, document, limits);
    if (refused) {
      options.onLimitRefused(refused.reason);
      return limitAnswer(refused.error);
    }
    const errors = validate(schema, document, rules);
    if (errors.length > 0) return errors.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED', hideSuggestions));
    const entry = { document, hash: sha256(source) };
    if (source.length <= MAX_CACHED_QUERY_LENGTH) documents.set(source, entry);
    return entry;
  };

  /**
   * Automatic persisted queries: a request may name its query by sha256 (`extensions.persistedQuery`)
   * and send the text only when the gateway answers PERSISTED_QUERY_NOT_FOUND; texts are kept in
   * the shared cache, so every replica knows a query registered at one.
   */
  const persisted = async (data: Record<string, unknown>, state: RequestState): Promise<HttpResponse | undefined> => {
    const extensions = data.extensions;
    if (!isObject(extensions) || extensions.persistedQuery === undefined || extensions.persistedQuery === null) return undefined;
    const pq = extensions.persistedQuery;
    if (!isObject(pq) || pq.version !== 1) {
      return answer(400, [{ message: 'Unsupported persisted query version', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } }]);
    }
    const hash = pq.sha256Hash;
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/i.test(hash)) {
      return answer(400, [{ message: 'persistedQuery.sha256Hash must be a sha256 hex digest', extensions: { code: 'BAD_REQUEST' } }]);
    }
    const key = `apq:${hash.toLowerCase()}`;
    if (data.query === undefined || data.query === null) {
      const stored = persistedTexts.get(key) ?? (await options.apq.cache.get(key));
      if (stored === undefined) {
        return answer(200, [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }], {
          'cache-control': 'private, no-cache, must-revalidate',
        });
      }
      persistedTexts.set(key, stored);
      data.query = stored;
      return undefined;
    }
    if (typeof data.query !== 'string' || sha256(data.query) !== hash.toLowerCase()) {
      return answer(400, [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }]);
    }
    // Registered only once the operation has passed every check and runs (see `execute`).
    if (data.query.length <= MAX_PERSISTED_QUERY_LENGTH) state.register = { key, query: data.query };
    return undefined;
  };

  const handler = createHandler<IncomingMessage, RequestState, OperationState>({
    schema,
    // The request parameters as graphql-http reads them, after persisted queries are resolved.
    parseRequestParams: async (req) => {
      const state = req.context as RequestState;
      let data: Record<string, unknown>;
      if (req.method === 'GET') {
        const search = new URLSearchParams(req.url.split('?')[1] ?? '');
        const extensions = search.get('extensions');
        if (!extensions?.includes('persistedQuery')) return undefined;
        try {
          data = { query: search.get('query') ?? undefined, operationName: search.get('operationName') ?? undefined, extensions: JSON.parse(extensions) };
          const variables = search.get('variables');
          if (variables) data.variables = JSON.parse(variables);
        } catch {
          throw new Error('Unparsable URL');
        }
      } else {
        if (!isObject(req.body)) return undefined;
        data = req.body;
      }
      const refusal = await persisted(data, state);
      if (refusal) return refusal;
      state.extensions = isObject(data.extensions) ? data.extensions : undefined;
      if (req.method === 'GET') {
        // Hand graphql-http the resolved query; it checks the parameters' types as for any GET.
        return checkParams(data);
      }
      return undefined;
    },
    onSubscribe: (req, params): HttpResponse | readonly GraphQLError[] | OperationArgs<OperationState> => {
      const state = req.context as RequestState;
      state.reached = true;
      state.operationName = params.operationName ?? undefined;
      const entry = known(params.query);
      if (!('document' in entry)) return entry;
      const operation = getOperationAST(entry.document, params.operationName);
      if (!operation) {
        const message = params.operationName ? `Unknown operation named "${params.operationName}".` : 'Must provide operation name if query contains multiple operations.';
        return answer(400, [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
      }
      if (operation.operation === 'subscription') {
        return answer(400, [{ message: 'Subscriptions are not supported', extensions: { code: 'BAD_REQUEST' } }]);
      }
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], params.variables ?? {});
      if (coerced.errors) return coerced.errors.map((e) => coded(e, 'BAD_USER_INPUT', hideSuggestions));
      state.source = params.query;
      state.operation = operation;
      return {
        schema,
        document: entry.document,
        operationName: params.operationName,
        variableValues: params.variables,
        contextValue: { state },
        rootValue: entry.hash,
      };
    },
    execute: (async (args: OperationArgs<OperationState>) => {
      const { state } = args.contextValue as OperationState;
      const operation = state.operation!;
      const requestContext = {
        logger,
        schema,
        request: {
          query: state.source,
          variables: args.variableValues ?? undefined,
          operationName: args.operationName ?? undefined,
          extensions: state.extensions,
        },
        response: { http: { headers: new Map(), status: undefined } },
        context: state.gateway,
        queryHash: args.rootValue as string,
        document: args.document,
        source: state.source,
        operationName: operation.name?.value ?? null,
        operation,
        metrics: {},
        overallCachePolicy: state.policy,
        requestIsBatched: false,
      } as unknown as ExecutorRequestContext;
      if (state.register) {
        // In the background: the answer does not wait for the store (whose failures it logs itself).
        void options.apq.cache.set(state.register.key, state.register.query, { ttl: options.apq.ttlSeconds }).catch(() => undefined);
      }
      let result: ExecutionResult;
      try {
        result = (await executor(requestContext)) as ExecutionResult;
      } catch (err) {
        if (err instanceof GraphQLError) {
          // A refusal of the query planner (e.g. its selection limits): the client's operation.
          warnRefused({ err, operationName: args.operationName }, 'the query planner refused an operation');
          result = { errors: [coded(err, 'BAD_REQUEST')] };
        } else {
          // A fault of the gateway itself: logged with its details, answered 500 without them.
          logger.error({ err, operationName: args.operationName }, 'executing a GraphQL operation failed');
          state.crashed = true;
          result = { errors: [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
        }
      }
      if (result.errors?.some((e) => !(e instanceof GraphQLError))) {
        // A subgraph fetch that failed below GraphQL (connection, unreadable body) comes back as a
        // plain Error: the gateway's failure, not the client's; its text may quote the subgraph.
        result = {
          ...result,
          errors: result.errors.map((e) => {
            if (e instanceof GraphQLError) return e;
            const error = e as Error;
            // A message naming the subgraph's URL is logged and rewritten by the gateway's formatError.
            const namesSubgraph = / at https?:\/\//.test(error.message);
            if (!namesSubgraph) warnFetch({ err: error, operationName: args.operationName }, 'a subgraph answer could not be read');
            const message = namesSubgraph ? error.message : 'a subgraph answered with a response the gateway could not read';
            return new GraphQLError(message, { originalError: error, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
          }),
        };
      }
      state.executed = true;
      state.failed = (result.errors?.length ?? 0) > 0;
      return result;
    }) as never,
    formatError: (error) => {
      if (!(error instanceof GraphQLError)) {
        // graphql-http's own request errors ("Missing query", "Unparsable JSON body", …): the client's mistake.
        return options.formatError({ message: error.message, extensions: { code: 'BAD_REQUEST' } }, error) as unknown as GraphQLError;
      }
      const formatted = error.toJSON();
      const extensions = { ...formatted.extensions, code: formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR' };
      return options.formatError({ ...formatted, extensions }, error) as unknown as GraphQLError;
    },
  });

  return async (req, res, gateway) => {
    const started = process.hrtime.bigint();
    if (wantsPage(req)) {
      if (introspection) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LANDING_PAGE);
        return;
      }
    }
    let body: unknown;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readRequestBody(req, options.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          options.onRefused('body_too_large');
          sendGraphQLError(res, 413, 'request body too large', { code: 'PAYLOAD_TOO_LARGE' }, { connection: 'close' });
          return;
        }
        throw err;
      }
      const contentType = (req.headers['content-type'] ?? '').toLowerCase();
      if (contentType.startsWith('application/json') && raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          options.onRefused('malformed_json');
          sendGraphQLError(res, 400, 'request body is not valid JSON', { code: 'BAD_REQUEST' });
          return;
        }
      } else {
        body = raw;
      }
    }
    const state: RequestState = {
      gateway,
      source: '',
      extensions: undefined,
      operation: undefined,
      operationName: undefined,
      reached: false,
      executed: false,
      failed: false,
      crashed: false,
      register: undefined,
      policy: new CachePolicy(),
    };
    const request: HttpRequest<IncomingMessage, RequestState> = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: {
        get(name: string) {
          const value = req.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : (value ?? null);
        },
      },
      body: body as string,
      raw: req,
      context: state,
    };
    const [handled, init] = await handler(request);
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    let text = handled;
    if (text === null && init.status >= 400) {
      // graphql-http answers a wrong method (405), media type (415) or Accept (406) with no body:
      // say what was wrong in the shape every other refusal has.
      text = JSON.stringify({ errors: [{ message: init.statusText ?? 'Bad Request', extensions: { code: PROTOCOL_CODES[init.status] ?? 'BAD_REQUEST' } }] });
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    // graphql-http's 405 for a mutation over GET has a JSON body but no content-type.
    if (text !== null && headers['content-type'] === undefined) headers['content-type'] = 'application/json; charset=utf-8';
    if (headers['content-type'] === 'application/json; charset=utf-8' && init.status !== 406 && prefersGraphQLResponse(req.headers.accept)) {
      headers['content-type'] = 'application/graphql-response+json; charset=utf-8';
    }
    // Cacheable only as a whole successful query whose every subgraph answer allowed it (as Apollo
    // Server's cache-control did); anything else is marked no-store so no CDN keeps it.
    // An answer to a signed-in caller is only ever private, and it varies with the media type chosen.
    const cacheable = state.executed && !state.failed && state.operation?.operation === 'query' ? state.policy.policyIfCacheable() : null;
    if (cacheable && init.status === 200) {
      const scope = req.headers.authorization ? 'private' : cacheable.scope.toLowerCase();
      headers['cache-control'] = `max-age=${cacheable.maxAge}, ${scope}`;
      const vary = res.getHeader('vary');
      headers.vary = vary ? `${vary}, Accept, Authorization` : 'Accept, Authorization';
    } else {
      headers['cache-control'] ??= 'no-store';
    }
    res.writeHead(state.crashed ? 500 : init.status, headers);
    res.end(text ?? '');
    // Every request that reached GraphQL counts; one refused before it ran (invalid document,
    // variables) as an error. Protocol refusals (405, 406, 415, no query) are not GraphQL requests.
    if (state.reached) options.metrics.record(state.operationName ?? state.operation?.name?.value, state.executed ? state.failed : true, Number(process.hrtime.bigint() - started) / 1e9);
  };
}

/** The checks graphql-http makes on request parameters, for parameters this host assembled. */
function checkParams(data: Record<string, unknown>): RequestParams {
  if (data.query == null) throw new Error('Missing query');
  if (typeof data.query !== 'string') throw new Error('Invalid query');
  if (data.variables != null && !isObject(data.variables)) throw new Error('Invalid variables');
  if (data.operationName != null && typeof data.operationName !== 'string') throw new Error('Invalid operationName');
  if (data.extensions != null && !isObject(data.extensions)) throw new Error('Invalid extensions');
  return data as unknown as RequestParams;
}
