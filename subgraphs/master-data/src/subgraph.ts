import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GrpcCallListener, Logger, Metrics } from '@core/platform';
import { parse } from 'graphql';
import { Counter } from 'prom-client';
import { createRequestContext, type MasterDataContext } from './context.js';
import { formatMasterDataError } from './errors.js';
import { openMasterDataChannels } from './grpc.js';
import { startGraphQLHttpServer } from '@core/platform/graphql-http';
import { masterDataResolvers } from './resolvers/index.js';

/** Location of the subgraph SDL; the composition script reads the same file. */
export const schemaPath = new URL('../schema.graphql', import.meta.url);

/** The subgraph's SDL as committed. */
export function masterDataTypeDefs(): string {
  return readFileSync(schemaPath, 'utf8');
}

/** Options of {@link createMasterDataSubgraph}. */
export interface MasterDataSubgraphOptions {
  /** host:port (or `dns:///name:port`) of the master-data gRPC service. */
  grpcAddress: string;
  logger: Logger;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** When given, gRPC calls are counted in `masterdata_subgraph_grpc_calls_total` and `/metrics` is served. */
  metrics?: Metrics;
  /** Observes every outgoing gRPC call (N+1 checks in tests and the bench). */
  onGrpcCall?: GrpcCallListener;
}

/** A running master-data subgraph. */
export interface MasterDataSubgraph {
  /** GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the master-data subgraph: the federation schema of `schema.graphql` over node:http at
 * `/graphql`, with `/health/live`, `/health/ready` and (with metrics) `/metrics`. Resolvers only map
 * GraphQL to the master-data gRPC API; relations and entity references batch through per-request
 * DataLoaders.
 */
export async function createMasterDataSubgraph(options: MasterDataSubgraphOptions): Promise<MasterDataSubgraph> {
  const { logger, metrics } = options;
  const host = options.host ?? '0.0.0.0';
  const channels = openMasterDataChannels(options.grpcAddress);
  const callCounter = metrics
    ? new Counter({
        name: `${metrics.prefix}masterdata_subgraph_grpc_calls_total`,
        help: 'gRPC calls the master-data subgraph made to the master-data service, by method.',
        labelNames: ['service', 'method'],
        registers: [metrics.registry],
      })
    : undefined;
  const onCall: GrpcCallListener = (service, method) => {
    callCounter?.inc({ service, method });
    options.onGrpcCall?.(service, method);
  };

  const server = new ApolloServer<MasterDataContext>({
    schema: buildSubgraphSchema([{ typeDefs: parse(masterDataTypeDefs()), resolvers: masterDataResolvers() }]),
    formatError: formatMasterDataError(logger),
    includeStacktraceInErrorResponses: false,
    logger,
    // Inline traces would expose resolver timings to any caller that asks; usage reporting is not used.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();

  let ready = true;
  const http = await startGraphQLHttpServer({
    server,
    context: async (req) => createRequestContext(channels, req.headers, logger, onCall),
    ready: () => ready,
    metrics,
    port: options.port,
    host,
  });
  logger.info({ port: http.port, grpcAddress: options.grpcAddress }, 'master-data subgraph listening');
  return {
    url: http.url,
    port: http.port,
    async stop() {
      ready = false;
      await server.stop();
      await http.close();
      channels.close();
    },
  };
}
