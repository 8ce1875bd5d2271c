import { mkdir, readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { authConfig, createMemoryRevocationList, createServiceAuthentication, loadConfig, type Logger } from '@core/platform';
import { z } from 'zod';
import { loadIdentityConfig, startIdentityService } from '@core/identity-service';
import { createIdentitySubgraph } from '@core/identity-subgraph';
import { loadMasterDataConfig, startMasterDataService } from '@core/master-data-service';
import { createMasterDataSubgraph } from '@core/master-data-subgraph';
import { createGateway, createUploadHandler } from '@core/federation-gateway';
import { createLocalObjectStorage } from '@core/platform/storage';
import type { EmbeddedConfig } from './config.js';
import { signInHelp } from './sign-in.js';

export interface Mesh {
  readonly graphqlUrl: string;
  readonly grpcServices: ReadonlyArray<{ name: string; address: string }>;
  readonly subgraphs: ReadonlyArray<{ name: string; url: string }>;
  /** Whether this start loaded the demo data (false when an earlier start already had). */
  readonly loadedDemoData: boolean;
  /** Demo accounts this start created (0 when an earlier start already had). */
  readonly demoAccountsCreated: number;
  /** Where verifiers fetch the identity service's public keys. */
  readonly jwksUrl: string;
  banner(): string;
  stop(): Promise<void>;
}

/**
 * Starts every deployable of the mesh in this process, leaves first: gRPC services, then their
 * subgraphs, then the gateway, so each finds its upstream listening. Stops in the reverse order.
 */
export async function startMesh(config: EmbeddedConfig, logger: Logger): Promise<Mesh> {
  await mkdir(config.dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
    stops.length = 0;
  };

  try {
    // Identity keeps its own PGlite database and a signing key generated once under the data dir,
    // so tokens stay valid across restarts; demo accounts are created only when missing.
    const identityConfig = loadIdentityConfig({
      DATABASE_URL: `pglite:${join(config.dataDir, 'identity')}`,
      IDENTITY_KEY_DIR: join(config.dataDir, 'identity-keys'),
      IDENTITY_SEED_DEMO: 'true',
      GRPC_HOST: config.host,
      GRPC_PORT: String(config.identityGrpcPort),
      METRICS_PORT: String(config.identityHttpPort),
      LOG_LEVEL: config.logLevel,
    });
    // One process: identity announces revocations (disabled accounts) to its in-process verifiers
    // through one shared list, and they trust its keys directly instead of fetching the JWKS.
    const revocations = createMemoryRevocationList();
    const identity = await startIdentityService({ config: identityConfig, logger: logger.child({ service: 'identity' }), revocations });
    stops.push(() => identity.stop());

    const masterDataConfig = loadMasterDataConfig({
      DATABASE_URL: `pglite:${join(config.dataDir, 'master-data')}`,
      GRPC_HOST: config.host,
      GRPC_PORT: String(config.masterDataGrpcPort),
      METRICS_PORT: String(config.masterDataMetricsPort),
      MASTERDATA_SOURCE: 'fixture',
      LOG_LEVEL: config.logLevel,
    });
    const masterData = await startMasterDataService({
      config: masterDataConfig,
      logger: logger.child({ service: 'master-data' }),
      auth: { jwks: identity.jwks, revocations },
    });
    stops.push(() => masterData.stop());
    const initialSync = await masterData.waitForInitialSync();


    const subgraph = await createMasterDataSubgraph({
      grpcAddress: masterData.address,
      logger: logger.child({ service: 'master-data-subgraph' }),
      host: config.host,
      port: config.masterDataSubgraphPort,
    });
    stops.push(() => subgraph.stop());

    const identitySubgraph = await createIdentitySubgraph({
      grpcAddress: identity.address,
      auditSources: [
        { name: 'identity', address: identity.address },
        { name: 'master-data', address: masterData.address },
      ],
      logger: logger.child({ service: 'identity-subgraph' }),
      host: config.host,
      port: config.identitySubgraphPort,
    });
    stops.push(() => identitySubgraph.stop());

    // The gateway verifies bearer tokens like every other hop (defaults: identity's issuer and audience).
    const gatewayAuth = await createServiceAuthentication({
      config: loadConfig(z.object(authConfig), {}),
      logger: logger.child({ service: 'federation-gateway' }),
      jwks: identity.jwks,
      revocations,
    });
    stops.push(() => gatewayAuth.close());
    // Uploads (POST /uploads) are kept under the data folder, like the databases.
    const identify = (req: IncomingMessage) => gatewayAuth.authenticateHeader(req.headers.authorization);
    const storage = createLocalObjectStorage({ root: join(config.dataDir, 'files') });
    stops.push(() => storage.close());
    const uploads = createUploadHandler({ storage, authenticate: identify, logger: logger.child({ service: 'federation-gateway' }) });
    const gateway = await createGateway({
      identify,
      routes: { '/uploads': uploads },
      supergraphSdl: await readFile(config.supergraphPath, 'utf8'),
      subgraphUrls: { masterdata: subgraph.url, identity: identitySubgraph.url },
      // The embedded mode is a developer's laptop: schema exploration stays on.
      introspection: true,
      // No Redis here: the per-client rate limit (60 requests/minute, as in production) and the
      // persisted-query cache live in this process, which is the only gateway replica.
      rateLimitPerMinute: 60,
      logger: logger.child({ service: 'federation-gateway' }),
      host: config.host,
      port: config.gatewayPort,
    });
    stops.push(() => gateway.stop());

    const grpcServices = [
      { name: 'master-data', address: masterData.address },
      { name: 'identity', address: identity.address },
    ];
    const subgraphs = [
      { name: 'masterdata', url: subgraph.url },
      { name: 'identity', url: identitySubgraph.url },
    ];
    return {
      graphqlUrl: gateway.url,
      grpcServices,
      subgraphs,
      loadedDemoData: initialSync.entitiesSynced > 0,
      demoAccountsCreated: identity.demoAccountsCreated,
      jwksUrl: identity.jwksUrl,
      banner: () =>
        [
          `Core Gateway mesh is running (embedded mode, data in ${config.dataDir})`,
          initialSync.entitiesSynced > 0
            ? `  demo data: loaded ${initialSync.entitiesSynced} master-data entities from the fixture source`
            : '  demo data: reused from an earlier start',
          identity.demoAccountsCreated > 0
            ? `  demo accounts: created ${identity.demoAccountsCreated} (one per role)`
            : '  demo accounts: reused from an earlier start',
          `  GraphQL:  ${gateway.url}`,
          ...subgraphs.map((s) => `  subgraph ${s.name}: ${s.url}`),
          ...grpcServices.map((s) => `  gRPC ${s.name}: ${s.address}   (npx buf curl --protocol grpc --http2-prior-knowledge --list-services http://${s.address})`),
          `  JWKS:     ${identity.jwksUrl}`,
          ...signInHelp(gateway.url),
          'Press Ctrl-C to stop.',
        ].join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
