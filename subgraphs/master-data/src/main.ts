/** Master-data subgraph process: configuration, logger, metrics, listen, graceful stop. */
import { createLogger, createMetrics, createShutdown } from '@core/platform';
import { loadMasterDataSubgraphConfig } from './config.js';
import { createMasterDataSubgraph } from './subgraph.js';

const config = loadMasterDataSubgraphConfig();
const logger = createLogger('master-data-subgraph', { level: config.LOG_LEVEL });
const shutdown = createShutdown(logger, { timeoutMs: 10_000 });
shutdown.listen();

try {
  const subgraph = await createMasterDataSubgraph({
    grpcAddress: config.MASTERDATA_GRPC_ADDRESS,
    logger,
    metrics: createMetrics(),
    port: config.PORT,
    host: config.HOST,
  });
  shutdown.add('subgraph', () => subgraph.stop());
} catch (error) {
  logger.fatal({ err: error }, 'master-data subgraph failed to start');
  await shutdown.run();
  process.exitCode = 1;
}
