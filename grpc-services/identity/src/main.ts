/** The identity deployable: configuration from the environment, start, stop on SIGTERM/SIGINT. */
import { createLogger, createShutdown } from '@core/platform';
import { loadIdentityConfig } from './config.js';
import { startIdentityService } from './server.js';

const config = loadIdentityConfig();
const logger = createLogger('identity', { level: config.LOG_LEVEL });
const service = await startIdentityService({ config, logger });
const shutdown = createShutdown(logger, { timeoutMs: 20_000 });
shutdown.add('identity', () => service.stop());
shutdown.listen();
logger.info({ address: service.address, jwksUrl: service.jwksUrl }, 'identity service started');
