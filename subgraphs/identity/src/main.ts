/** Identity subgraph process: configuration, logger, metrics, listen, graceful stop. */
import { createLogger, createMetrics, createShutdown } from '@core/platform';
import { loadIdentitySubgraphConfig } from './config.js';
import { createIdentitySubgraph } from './subgraph.js';

const config = loadIdentitySubgraphConfig();
const logger = createLogger('identity-subgraph', { level: config.LOG_LEVEL });
const shutdown = createShutdown(logger, { timeoutMs: 10_000 });
shutdown.listen();

try {
  const subgraph = await createIdentitySubgraph({
    grpcAddress: config.IDENTITY_GRPC_ADDRESS,
    auditSources: config.AUDIT_SOURCES,
    logger,
    metrics: createMetrics(),
    port: config.PORT,
    host: config.HOST,
  });
  shutdown.add('subgraph', () => subgraph.stop());
} catch (error) {
  logger.fatal({ err: error }, 'identity subgraph failed to start');
  await shutdown.run();
  process.exitCode = 1;
}
