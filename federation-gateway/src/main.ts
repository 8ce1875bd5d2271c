/** Federation gateway process: configuration, supergraph, listen, graceful stop. */
import { readFile } from 'node:fs/promises';
import { createLogger, createMetrics, createRedis, createServiceAuthentication, createShutdown, redisReady } from '@core/platform';
import { createObjectStorage } from '@core/platform/storage';
import { loadGatewayConfig } from './config.js';
import { createGateway } from './gateway.js';
import { createUploadHandler } from './uploads.js';

const config = loadGatewayConfig();
const logger = createLogger('federation-gateway', { level: config.logLevel });
const shutdown = createShutdown(logger, { timeoutMs: 10_000 });
shutdown.listen();

try {
  // Redis shares rate-limit budgets and persisted queries between replicas. Start even while it is
  // unreachable: the limiter then counts per process and APQ misses, both logged and counted.
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
  if (redis) {
    shutdown.add('redis', async () => {
      redis.disconnect();
    });
    if (!(await redisReady(redis))) logger.warn('redis not reachable at start; rate limits are per process until it is');
  }
  const metrics = createMetrics();
  // Bearer tokens are verified here (identity's JWKS, fetched and cached; revocations over Redis)
  // before any subgraph sees them, and again by every service.
  const auth = await createServiceAuthentication({ config: config.auth, logger, metrics, redis });
  shutdown.add('token verification', () => auth.close());
  const identify = (req: import('node:http').IncomingMessage) => auth.authenticateHeader(req.headers.authorization);
  const storage = createObjectStorage(config.uploads, { logger });
  shutdown.add('upload storage', () => storage.close());
  const uploads = createUploadHandler({ storage, authenticate: identify, logger, metrics, maxFileBytes: config.uploads.UPLOAD_MAX_BYTES });
  const gateway = await createGateway({
    supergraphSdl: await readFile(config.supergraphPath, 'utf8'),
    subgraphUrls: config.subgraphUrls,
    logger,
    port: config.port,
    host: config.host,
    introspection: config.introspection,
    redis,
    redisKeyPrefix: config.redisKeyPrefix,
    rateLimitPerMinute: config.rateLimitPerMinute,
    trustProxyHops: config.trustProxyHops,
    corsOrigins: config.corsOrigins,
    maxBodyBytes: config.maxBodyBytes,
    limits: config.limits,
    apqTtlSeconds: config.apqTtlSeconds,
    metrics,
    identify,
    routes: { '/uploads': uploads },
  });
  shutdown.add('gateway', () => gateway.stop());
} catch (error) {
  logger.fatal({ err: error }, 'federation gateway failed to start');
  await shutdown.run();
  process.exitCode = 1;
}
