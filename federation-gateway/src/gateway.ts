import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { createMetrics, type Logger, type Metrics } from '@core/platform';
import { Agent } from 'undici';
import { type GraphQLHttpRoute, startGraphQLHttpServer } from '@core/platform/graphql-http';
import { graphQLMetricsPlugin } from './metrics.js';
import { type GatewayContext, SubgraphDataSource } from './subgraph-source.js';
import { subgraphsOf } from './supergraph.js';

export type { GatewayContext } from './subgraph-source.js';

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
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** How long a subgraph may take to answer one fetch of a query plan; default 30 000 ms. */
  subgraphTimeoutMs?: number;
  /** How long `/health/ready` waits for each subgraph's answer; default 2000 ms. */
  readinessTimeoutMs?: number;
  /**
   * Extra exact paths served beside `/graphql` (e.g. `POST /uploads`); the edge protections that
   * apply to `/graphql` (rate limit, CORS) apply to them too.
   */
  routes?: Record<string, GraphQLHttpRoute>;
  /**
   * The verified caller of a request (e.g. from its bearer token), or undefined for an anonymous
   * one. Rate limiting keys on `subject` when present, else on the client address. A rejection
   * fails the request. Default: every caller is anonymous.
   */
  identify?: (req: IncomingMessage) => Promise<GatewayCaller | undefined>;
}

/** Who is calling, as {@link GatewayOptions.identify} established it. */
export interface GatewayCaller {
  /** Stable id of the verified caller (the token's `sub`). */
  subject?: string;
}

/** A running gateway. */
export interface Gateway {
  /** GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  port: number;
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
  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection,
    includeStacktraceInErrorResponses: false,
    logger,
    plugins: [graphQLMetricsPlugin(metrics), ...(introspection ? [] : [ApolloServerPluginLandingPageDisabled()])],
  });
  await server.start();

  let loaded = true;
  const ready = async (): Promise<boolean> => {
    if (!loaded) return false;
    const answers = await Promise.all([...subgraphUrls.values()].map((url) => subgraphAnswers(url, readinessTimeoutMs)));
    return answers.every(Boolean);
  };

  const http = await startGraphQLHttpServer({
    server,
    context: async (req) => ({ headers: req.headers }),
    ready,
    metrics,
    maxBodyBytes: options.maxBodyBytes,
    routes: options.routes,
    port: options.port,
    host,
  });
  logger.info({ port: http.port, subgraphs: Object.fromEntries(subgraphUrls) }, 'federation gateway listening');
  return {
    url: http.url,
    port: http.port,
    async stop() {
      loaded = false;
      await server.stop();
      await http.close();
      await subgraphAgent.close();
    },
  };
}
