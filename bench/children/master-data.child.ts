/**
 * The system under test for benchmarks (a), (b) and (c): the master-data gRPC service on real
 * PostgreSQL (a fresh database) and real Redis, fixture source. With `--edge` the same process also
 * runs the master-data subgraph and the federation gateway, so one `process.cpuUsage()` covers the
 * whole request path (gateway → subgraph → service) and the direct path (subgraph → service).
 *
 * Environment: BENCH_DATABASE_URL (a fresh database the parent created; reused across restarts),
 * BENCH_CUSTOMERS (fixture customer scale), BENCH_CACHE_PREFIX (Redis key prefix of this run).
 *
 * With `--edge` it also runs two more identical paths for benchmark (e), one verifying tokens and
 * one not: each another service on the same mirror and cache, its subgraph and a gateway; and for
 * benchmark (f) two more gateways in front of the main subgraph: our gateway with no edge
 * protections, and Hive Gateway on the same supergraph.
 *
 * The service verifies a bearer token on every call, as deployed. It trusts a throwaway issuer
 * shaped like identity's (keys in process instead of a JWKS URL) and hands the parent
 * `authorization`, a signed-in user's header valid for the whole run, to send with every call.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { type Caller, createBearerAuthenticator, createLogger, createRedis, createTokenVerifier } from '@core/platform';
import { createTestIssuer } from '@core/testing';
import { loadMasterDataConfig, startMasterDataService } from '@core/master-data-service';
import { createFixtureSource } from '../../grpc-services/master-data/src/data/fixture/index.js';
import { createMasterDataSubgraph } from '@core/master-data-subgraph';
import { createGateway } from '@core/federation-gateway';
import { serveParent, type ChildHandlers } from '../lib/child.js';

const edge = process.argv.includes('--edge');

/**
 * Hive Gateway, loaded by a non-literal specifier so the type-checker does not load its typings:
 * they reference the DOM library (via @whatwg-node/fetch), which changes Node's global types
 * (BlobPart, Buffer) for the whole project. The few options used here are typed below.
 */
const HIVE_GATEWAY_RUNTIME: string = '@graphql-hive/gateway-runtime';
type CreateHiveGateway = (config: {
  supergraph: string;
  transportEntries: Record<string, { location: string }>;
  propagateHeaders: { fromClientToSubgraphs: (payload: { request: Request }) => Record<string, string> };
  logging: string;
  landingPage: boolean;
  graphiql: boolean;
}) => ((req: IncomingMessage, res: import('node:http').ServerResponse) => void) & { dispose(): Promise<void> };

await serveParent(async () => {
  const logger = createLogger('bench-master-data', { level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
  };
  try {
    const databaseUrl = process.env.BENCH_DATABASE_URL;
    if (!databaseUrl) throw new Error('BENCH_DATABASE_URL is not set');
    const metricsPort = await freePort();
    const config = loadMasterDataConfig({
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: String(metricsPort),
      MASTERDATA_SOURCE: 'fixture',
      SYNC_SCHEDULES_ENABLED: 'false',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...(process.env.BENCH_CACHE_PREFIX ? { CACHE_PREFIX: process.env.BENCH_CACHE_PREFIX } : {}),
    });
    const customers = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
    const issuer = await createTestIssuer();
    const authorization = await issuer.bearer([], { sub: 'bench', ttlSeconds: 24 * 3600 });
    const service = await startMasterDataService({
      config,
      logger,
      source: createFixtureSource({ scale: { customer: customers } }),
      auth: { jwks: issuer.jwks },
    });
    stops.push(() => service.stop());
    const initial = await service.waitForInitialSync();
    if (initial.entitiesFailed.length > 0) throw new Error(`initial sync failed for ${initial.entitiesFailed.join(', ')}; see the child log`);

    let graphql:
      | {
          gatewayUrl: string;
          subgraphUrl: string;
          verifiedGatewayUrl: string;
          plainGatewayUrl: string;
          engineGatewayUrl: string;
          hiveGatewayUrl: string;
          authorizations: string[];
        }
      | undefined;
    if (edge) {
      const supergraphSdl = await readFile(new URL('../../federation-gateway/supergraph.graphql', import.meta.url), 'utf8');
      const redis = createRedis('redis://127.0.0.1:6379', logger);
      stops.push(async () => void redis.disconnect());
      // Production edge settings: the rate limiter counts in Redis (with a budget no benchmark
      // client reaches, so its cost is measured without refusing anything), persisted queries too.
      const edgeSettings = {
        supergraphSdl,
        logger,
        host: '127.0.0.1',
        port: 0,
        redis,
        redisKeyPrefix: `${process.env.BENCH_CACHE_PREFIX ?? 'bench:'}gateway:`,
        rateLimitPerMinute: 1_000_000_000,
      };
      const subgraph = await createMasterDataSubgraph({ grpcAddress: service.address, logger, host: '127.0.0.1', port: 0 });
      stops.push(() => subgraph.stop());
      // The gateway verifies bearer tokens as deployed (the service verifies them again).
      const gatewayAuth = createBearerAuthenticator({ verifier: createTokenVerifier({ issuers: [issuer.trusted] }), logger });
      const gateway = await createGateway({
        ...edgeSettings,
        subgraphUrls: { masterdata: subgraph.url },
        identify: (req) => gatewayAuth.authenticateHeader(req.headers.authorization),
      });
      stops.push(() => gateway.stop());

      // Benchmark (e): two more identical paths (service, subgraph, gateway) on the same mirror and
      // cache, both started after the initial sync so neither carries its heap history; one
      // verifies tokens at the gateway and in the service, the other names a fixed caller in the
      // service and has no `identify` at the gateway. Access rules run on both.
      const fixedCaller: Caller = { subject: 'bench', roles: [], claims: {} };
      const startPath = async (verify: boolean) => {
        const pathService = await startMasterDataService({
          config: { ...config, METRICS_PORT: 0 },
          logger,
          source: createFixtureSource({ scale: { customer: customers } }),
          auth: verify ? { jwks: issuer.jwks } : { jwks: issuer.jwks, authenticate: async () => fixedCaller },
        });
        stops.push(() => pathService.stop());
        const pathSubgraph = await createMasterDataSubgraph({ grpcAddress: pathService.address, logger, host: '127.0.0.1', port: 0 });
        stops.push(() => pathSubgraph.stop());
        const pathAuth = createBearerAuthenticator({ verifier: createTokenVerifier({ issuers: [issuer.trusted] }), logger });
        const pathGateway = await createGateway({
          ...edgeSettings,
          subgraphUrls: { masterdata: pathSubgraph.url },
          ...(verify ? { identify: (req: IncomingMessage) => pathAuth.authenticateHeader(req.headers.authorization) } : {}),
        });
        stops.push(() => pathGateway.stop());
        return pathGateway.url;
      };
      const verifiedGatewayUrl = await startPath(true);
      const plainGatewayUrl = await startPath(false);

      // Benchmark (f): the two gateway engines alone in front of the main subgraph. Ours without
      // token verification or rate limiting (Hive Gateway here has neither); both pass the
      // client's authorization header on, which the service verifies.
      const engineGateway = await createGateway({
        supergraphSdl,
        logger,
        host: '127.0.0.1',
        port: 0,
        subgraphUrls: { masterdata: subgraph.url },
        rateLimitPerMinute: 0,
      });
      stops.push(() => engineGateway.stop());
      const { createGatewayRuntime } = (await import(HIVE_GATEWAY_RUNTIME)) as { createGatewayRuntime: CreateHiveGateway };
      const hive = createGatewayRuntime({
        supergraph: supergraphSdl,
        transportEntries: { masterdata: { location: subgraph.url } },
        propagateHeaders: {
          fromClientToSubgraphs: ({ request }: { request: Request }) => ({ authorization: request.headers.get('authorization') ?? '' }),
        },
        logging: 'error',
        landingPage: false,
        graphiql: false,
      });
      const hiveServer = createHttpServer(hive);
      await new Promise<void>((resolve) => hiveServer.listen(0, '127.0.0.1', resolve));
      stops.push(async () => {
        await new Promise<void>((resolve) => hiveServer.close(() => resolve()));
        hiveServer.closeAllConnections();
        await hive.dispose();
      });
      const hiveAddress = hiveServer.address();
      const hiveGatewayUrl = `http://127.0.0.1:${typeof hiveAddress === 'object' && hiveAddress ? hiveAddress.port : 0}/graphql`;

      // Many users, one token each: the verified-token cache holds each one after its first use.
      const authorizations = await Promise.all(
        Array.from({ length: 200 }, (_, i) => issuer.bearer([], { sub: `bench-user-${i}`, ttlSeconds: 24 * 3600 })),
      );
      graphql = {
        gatewayUrl: gateway.url,
        subgraphUrl: subgraph.url,
        verifiedGatewayUrl,
        plainGatewayUrl,
        engineGatewayUrl: engineGateway.url,
        hiveGatewayUrl,
        authorizations,
      };
    }

    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const handlers: ChildHandlers = {
      /** Customer ids and numbers from the mirror, in key order. */
      customerKeys: async (args) => {
        const limit = Number((args as { limit?: number } | undefined)?.limit ?? 1000);
        const rows = (await service.orm.em
          .getConnection()
          .execute(
            `SELECT data->>'CUST_ACCOUNT_ID' AS id, data->>'CUSTOMER_NUMBER' AS number FROM md_record WHERE entity = 'customer' ORDER BY record_key LIMIT ?`,
            [limit],
          )) as Array<{ id: string; number: string }>;
        return rows.map((r) => ({ id: Number(r.id), number: r.number }));
      },
      /**
       * CPU µs of one bearer-token verification in this process: a token seen before (verified-token
       * cache) and tokens never seen (full EdDSA signature check), with a fresh verifier.
       */
      verifyCost: async () => {
        const verifier = createBearerAuthenticator({ verifier: createTokenVerifier({ issuers: [issuer.trusted] }), logger });
        const fresh = await Promise.all(Array.from({ length: 500 }, (_, i) => issuer.bearer([], { sub: `cost-${i}`, ttlSeconds: 3600 })));
        let started = process.cpuUsage();
        for (const header of fresh) await verifier.authenticateHeader(header);
        let used = process.cpuUsage(started);
        const uncachedMicros = (used.user + used.system) / fresh.length;
        const rounds = 100_000;
        started = process.cpuUsage();
        for (let i = 0; i < rounds; i++) await verifier.authenticateHeader(fresh[i % fresh.length]!);
        used = process.cpuUsage(started);
        return { uncachedMicros, cachedMicros: (used.user + used.system) / rounds };
      },
      /** The service's Prometheus metrics text. */
      metrics: async () => {
        const response = await fetch(metricsUrl);
        if (!response.ok) throw new Error(`GET ${metricsUrl}: ${response.status}`);
        return response.text();
      },
    };
    return {
      info: { address: service.address, databaseUrl, metricsUrl, customers, authorization, ...graphql },
      handlers,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
});

/** A port the OS says is free now (the metrics server takes a fixed port, not 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
