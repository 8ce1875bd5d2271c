import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { createMetrics, DomainError, type Logger, logConnectionErrors, type Metrics, type Redis, redisReady, throttledWarn } from '@core/platform';
import { createMemoryKeyValueCache, createRedisKeyValueCache } from '@core/platform/apq-cache';
import { DEFAULT_MAX_BODY_BYTES, type GraphQLHttpRoute, sendGraphQLError, startGraphQLHttpServer } from '@core/platform/graphql-http';
import { createRateLimiter, type RateLimiter } from '@core/platform/rate-limit';
import { Agent } from 'undici';
import { admitRate, clientAddress, corsPolicy, forwardedFor } from './edge.js';
import { createGraphQLHost } from './graphql-host.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';
import { edgeMetrics, graphQLRequestMetrics } from './metrics.js';
import { type GatewayCaller, SubgraphDataSource } from './subgraph-source.js';
import { subgraphsOf } from './supergraph.js';

export type { GatewayCaller, GatewayContext } from './subgraph-source.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** The composed supergraph SDL (federation-gateway/supergraph.graphql). */
  supergraphSdl: string;
  /**
   * Routing URL per subgraph name (as in supergraph.config.json), overriding the default URL
   * recorded in the supergraph. Unknown names are a configuration error.
   */
  subgraphUrls: Record<string, string>;
  logger: Logger;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** Schema introspection (and the landing page); keep off in production. Default false. */
  introspection?: boolean;
  /** Registry for `/metrics`; a fresh one with default process metrics when omitted. */
  metrics?: Metrics;
  /** Largest accepted request body (413 beyond); default 1 MiB. */
  maxBodyBytes?: number;
  /** How long a subgraph may take to answer one fetch of a query plan; default 30 000 ms. */
  subgraphTimeoutMs?: number;
  /** How long `/health/ready` waits for each subgraph's answer; default 2000 ms. */
  readinessTimeoutMs?: number;
  /**
   * Extra exact paths served beside `/graphql` (e.g. `POST /uploads`); the edge protections that
   * apply to `/graphql` (identify, CORS, rate limit) apply to them too.
   */
  routes?: Record<string, GraphQLHttpRoute>;
  /**
   * The verified caller of a request (e.g. from its bearer token), or undefined for an anonymous
   * one; it reaches the GraphQL context as `caller`. Rate limiting keys on `subject` when present,
   * else on the client address. A rejection with an UNAUTHENTICATED `DomainError` answers 401
   * (after counting the request against the client address); any other rejection fails the
   * request (500, logged). Default: every caller is anonymous.
   */
  identify?: (req: IncomingMessage) => Promise<GatewayCaller | undefined>;
  /** Requests per minute per client on `/graphql` and the extra routes; 0 turns limiting off. Default 60. */
  rateLimitPerMinute?: number;
  /**
   * Shared Redis for the rate-limit counters and the persisted-query (APQ) cache, so every
   * replica sees the same budgets and queries. Without it both live in this process (embedded).
   */
  redis?: Redis;
  /** Prefix of this gateway's Redis keys (`<prefix>rate`, `<prefix>apq:`); default `gateway:`. */
  redisKeyPrefix?: string;
  /** How long a registered persisted query is kept; default 86 400 s. */
  apqTtlSeconds?: number;
  /**
   * Proxies in front of the gateway that append to X-Forwarded-For (0: none, the socket peer is
   * the client and X-Forwarded-For is ignored). Default 0.
   */
  trustProxyHops?: number;
  /** Browser origins allowed by CORS (exact, or `*`); default none (no CORS headers). */
  corsOrigins?: string[];
  /** Query depth, alias, cost, directive and token limits; each defaults to {@link DEFAULT_QUERY_LIMITS}. */
  limits?: Partial<QueryLimits>;
}

/** A running gateway. */
export interface Gateway {
  /** GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  port: number;
  /** Stops serving and closes subgraph connections; calling it again waits for the same stop. */
  stop(): Promise<void>;
}

/** Routing URL of each subgraph: the supergraph's default unless the configuration overrides it. */
function resolveSubgraphUrls(supergraphSdl: string, overrides: Record<string, string>): Map<string, string> {
  const subgraphs = subgraphsOf(supergraphSdl);
  const known = new Set(subgraphs.map((s) => s.name));
  const unknown = Object.keys(overrides).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`subgraphUrls names subgraphs the supergraph does not have: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  return new Map(subgraphs.map((s) => [s.name, overrides[s.name] ?? s.url]));
}

/** Whether a subgraph answers the cheapest possible operation within the timeout. */
async function subgraphAnswers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return false;
    const body = (await response.json()) as { data?: { __typename?: string } };
    return body.data?.__typename === 'Query';
  } catch {
    return false;
  }
}

/**
 * The rate limiter's own connection to the shared Redis: the same server and fail-fast settings,
 * without auto-pipelining. The limiter already sends one script call per event-loop turn for
 * all requests of that turn, so auto-pipelining would only wrap each call in a pipeline of its
 * own (a Pipeline object, a deferred flush and a second promise: about twice the client CPU per
 * command at one command per turn, measured). Waits briefly for it to connect when the
 * shared client is connected, so the first requests are counted in Redis too; while it is down
 * the limiter falls back per process (counted and logged there), and its connection errors are
 * logged here at most every 10 s. `CLIENT LIST` shows it as `<redisKeyPrefix>rate-limiter`.
 */
async function limiterConnection(redis: Redis, name: string, logger: Logger): Promise<Redis> {
  const connection = redis.duplicate({ enableAutoPipelining: false, connectionName: name });
  logConnectionErrors(connection, logger, 'rate limiter');
  if (redis.status === 'ready') await redisReady(connection, 2_000);
  return connection;
}

/**
 * Starts the federation gateway: Apollo Gateway over the static supergraph on node:http, with
 * `/graphql`, `/health/live` (the process runs), `/health/ready` (schema loaded and every subgraph
 * answers) and `/metrics`. Errors from subgraphs reach clients with their `extensions.code`.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const host = options.host ?? '0.0.0.0';
  const metrics = options.metrics ?? createMetrics();
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  const subgraphUrls = resolveSubgraphUrls(options.supergraphSdl, options.subgraphUrls);

  // Keep-alive pools for all subgraph hops: reusing connections saves a TCP handshake and a
  // socket set-up per operation. Connections are unbounded like Apollo's default client, so the
  // gateway never queues a plan fetch behind another one; idle sockets follow the subgraph's
  // keep-alive hint. A subgraph that sends no headers (or stalls mid-body) within the timeout fails
  // that fetch instead of holding the client request open.
  const subgraphTimeoutMs = options.subgraphTimeoutMs ?? 30_000;
  const subgraphAgent = new Agent({ headersTimeout: subgraphTimeoutMs, bodyTimeout: subgraphTimeoutMs });
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger,
    buildService: ({ name }) => {
      const url = subgraphUrls.get(name);
      if (url === undefined) throw new Error(`the supergraph names subgraph ${name} without a routing URL`);
      return new SubgraphDataSource({ name, url, dispatcher: subgraphAgent });
    },
  });
  const introspection = options.introspection ?? false;
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const edge = edgeMetrics(metrics);
  const redisKeyPrefix = options.redisKeyPrefix ?? 'gateway:';
  // Apollo Gateway's executor over the static supergraph, served by the gateway's own GraphQL host
  // (graphql-http around the executor) rather than Apollo Server's request pipeline.
  const { schema, executor } = await gateway.load();
  const requestMetrics = graphQLRequestMetrics(metrics);
  // A subgraph outage fails every request: logged at most every 10 s, with the count held back.
  const warnSubgraphFailure = throttledWarn(logger);
  const graphqlHost = createGraphQLHost({
    schema,
    executor,
    logger,
    introspection,
    limits,
    onLimitRefused: (reason) => edge.refused.inc({ reason }),
    onRefused: (reason) => edge.refused.inc({ reason }),
    // APQ: in Redis when shared, else in this process.
    apq: {
      cache: options.redis
        ? createRedisKeyValueCache({ redis: options.redis, prefix: `${redisKeyPrefix}apq:`, logger, metrics })
        : createMemoryKeyValueCache(),
      ttlSeconds: options.apqTtlSeconds ?? 86_400,
    },
    // A failed subgraph fetch carries the subgraph's internal URL and raw answer
    // (`extensions.response`, and the URL in transport-error messages): log them, never send them.
    formatError: (formatted, error) => {
      const extensions = formatted.extensions as Record<string, unknown> | undefined;
      if (!extensions?.response && !/ at https?:\/\//.test(formatted.message)) return formatted;
      warnSubgraphFailure({ err: error, response: extensions?.response }, 'subgraph fetch failed');
      const { response: _internal, ...kept } = extensions ?? {};
      const status = (extensions?.response as { status?: unknown } | undefined)?.status;
      return {
        ...formatted,
        message: typeof status === 'number' ? `a subgraph answered HTTP ${status}` : 'a subgraph could not be reached',
        extensions: kept,
      };
    },
    metrics: requestMetrics,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });


  let loaded = true;
  const ready = async (): Promise<boolean> => {
    if (!loaded) return false;
    const answers = await Promise.all([...subgraphUrls.values()].map((url) => subgraphAnswers(url, readinessTimeoutMs)));
    return answers.every(Boolean);
  };

  const trustProxyHops = options.trustProxyHops ?? 0;
  const rateLimitPerMinute = options.rateLimitPerMinute ?? 60;
  const limiterRedis = rateLimitPerMinute > 0 && options.redis ? await limiterConnection(options.redis, `${redisKeyPrefix}rate-limiter`, logger) : undefined;
  const limiter: RateLimiter | undefined =
    rateLimitPerMinute > 0
      ? createRateLimiter({ points: rateLimitPerMinute, durationSeconds: 60, keyPrefix: `${redisKeyPrefix}rate`, redis: limiterRedis, logger, metrics })
      : undefined;
  const cors = corsPolicy({ origins: options.corsOrigins ?? [] });
  const { identify } = options;
  // The caller identify() established for a request, read again when its GraphQL context is built.
  const callers = new WeakMap<IncomingMessage, GatewayCaller>();

  const admit = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (cors(req, res)) return false;
    let caller: GatewayCaller | undefined;
    let refusal: DomainError | undefined;
    if (identify) {
      try {
        caller = await identify(req);
      } catch (err) {
        if (err instanceof DomainError && err.code === 'UNAVAILABLE') {
          // The signing keys cannot be fetched: no token can be judged now, which is not the client's fault.
          logger.error({ err }, 'token verification unavailable');
          edge.refused.inc({ reason: 'auth_unavailable' });
          sendGraphQLError(res, 503, err.message, { code: 'UNAVAILABLE', reason: err.reason }, { 'retry-after': '5' });
          return false;
        }
        if (!(err instanceof DomainError) || err.code !== 'UNAUTHENTICATED') throw err;
        refusal = err;
      }
    }
    if (caller) callers.set(req, caller);
    if (limiter) {
      const key = caller?.subject ? `sub:${caller.subject}` : `ip:${clientAddress(req, trustProxyHops)}`;
      if (!(await admitRate(limiter, key, res))) {
        edge.refused.inc({ reason: 'rate_limited' });
        return false;
      }
    }
    if (refusal) {
      edge.refused.inc({ reason: 'unauthenticated' });
      sendGraphQLError(res, 401, refusal.message, { code: 'UNAUTHENTICATED', reason: refusal.reason }, { 'www-authenticate': 'Bearer' });
      return false;
    }
    return true;
  };

  const http = await startGraphQLHttpServer({
    graphql: (req, res) => graphqlHost(req, res, { headers: req.headers, caller: callers.get(req), forwardedFor: forwardedFor(req, trustProxyHops) }),
    ready,
    metrics,
    routes: options.routes,
    admit,
    port: options.port,
    host,
  }).catch(async (err: unknown) => {
    // Nothing serves: release what this call opened before reporting the failure.
    limiterRedis?.disconnect();
    await gateway.stop();
    await subgraphAgent.close();
    throw err;
  });
  let stopped: Promise<void> | undefined;
  logger.info({ port: http.port, subgraphs: Object.fromEntries(subgraphUrls) }, 'federation gateway listening');
  return {
    url: http.url,
    port: http.port,
    stop() {
      stopped ??= (async () => {
        loaded = false;
        await http.close();
        await gateway.stop();
        await subgraphAgent.close();
        limiterRedis?.disconnect();
      })();
      return stopped;
    },
  };
}
