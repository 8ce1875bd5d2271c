import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GrpcCallListener, Logger, Metrics } from '@core/platform';
import { startGraphQLHttpServer } from '@core/platform/graphql-http';
import { parse } from 'graphql';
import { Counter } from 'prom-client';
import { type AuditSource, openAuditChannels } from './audit/audit-log.js';
import { createRequestContext, type IdentityContext } from './context.js';
import { formatIdentityError } from './errors.js';
import { openIdentityChannel } from './grpc.js';
import { identityResolvers } from './resolvers/index.js';

/** Location of the subgraph SDL; the composition script reads the same file. */
export const schemaPath = new URL('../schema.graphql', import.meta.url);

/** The subgraph's SDL as committed. */
export function identityTypeDefs(): string {
  return readFileSync(schemaPath, 'utf8');
}

/** Options of {@link createIdentitySubgraph}. */
export interface IdentitySubgraphOptions {
  /** host:port (or `dns:///name:port`) of the identity gRPC service. */
  grpcAddress: string;
  /**
   * The services whose audit logs `auditEvents` merges (each serves AuditService); default the
   * identity service alone.
   */
  auditSources?: readonly AuditSource[];
  logger: Logger;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** When given, gRPC calls are counted in `identity_subgraph_grpc_calls_total` and `/metrics` is served. */
  metrics?: Metrics;
  /** Observes every outgoing gRPC call (N+1 checks in tests). */
  onGrpcCall?: GrpcCallListener;
}

/** A running identity subgraph. */
export interface IdentitySubgraph {
  /** GraphQL endpoint, e.g. `http://127.0.0.1:4002/graphql`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the identity subgraph: the federation schema of `schema.graphql` over node:http at
 * `/graphql`, with `/health/live`, `/health/ready` and (with metrics) `/metrics`. Resolvers only map
 * GraphQL to the identity gRPC API with the caller's bearer token attached, so every decision
 * (credentials, roles, validation) is the identity service's; User references batch through a
 * per-request DataLoader.
 */
export async function createIdentitySubgraph(options: IdentitySubgraphOptions): Promise<IdentitySubgraph> {
  const { logger, metrics } = options;
  const host = options.host ?? '0.0.0.0';
  const channel = openIdentityChannel(options.grpcAddress);
  const auditChannels = openAuditChannels(options.auditSources ?? [{ name: 'identity', address: options.grpcAddress }]);
  const closeChannels = () => {
    channel.close();
    auditChannels.close();
  };
  const callCounter = metrics
    ? new Counter({
        name: `${metrics.prefix}identity_subgraph_grpc_calls_total`,
        help: 'gRPC calls the identity subgraph made to the identity service, by method.',
        labelNames: ['service', 'method'],
        registers: [metrics.registry],
      })
    : undefined;
  const onCall: GrpcCallListener = (service, method) => {
    callCounter?.inc({ service, method });
    options.onGrpcCall?.(service, method);
  };

  const server = new ApolloServer<IdentityContext>({
    schema: buildSubgraphSchema([{ typeDefs: parse(identityTypeDefs()), resolvers: identityResolvers() }]),
    formatError: formatIdentityError(logger),
    includeStacktraceInErrorResponses: false,
    logger,
    // Inline traces would expose resolver timings to any caller that asks; usage reporting is not used.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  try {
    await server.start();
  } catch (error) {
    closeChannels();
    throw error;
  }

  let ready = true;
  const http = await startGraphQLHttpServer({
    server,
    context: async (req) => createRequestContext(channel, auditChannels, req.headers, logger, onCall),
    ready: () => ready,
    metrics,
    port: options.port,
    host,
  }).catch(async (error: unknown) => {
    await server.stop();
    closeChannels();
    throw error;
  });
  logger.info({ port: http.port, grpcAddress: options.grpcAddress, auditSources: auditChannels.names }, 'identity subgraph listening');
  return {
    url: http.url,
    port: http.port,
    async stop() {
      ready = false;
      await server.stop();
      await http.close();
      closeChannels();
    },
  };
}
