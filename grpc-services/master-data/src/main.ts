/** The master-data deployable: configuration from the environment, start, stop on SIGTERM/SIGINT. */
import { createLogger, createShutdown } from '@core/platform';
import { loadMasterDataConfig } from './config.js';
import { startMasterDataService } from './server.js';

const config = loadMasterDataConfig();
const logger = createLogger('master-data', { level: config.LOG_LEVEL });
const service = await startMasterDataService({ config, logger });
const shutdown = createShutdown(logger, { timeoutMs: 20_000 });
shutdown.add('master-data', () => service.stop());
shutdown.listen();
logger.info({ address: service.address, metricsPort: service.metricsPort }, 'master-data service started');
