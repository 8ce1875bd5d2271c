/** Federation gateway process: configuration, supergraph, listen, graceful stop. */
import { readFile } from 'node:fs/promises';
import { createLogger, createShutdown } from '@core/platform';
import { loadGatewayConfig } from './config.js';
import { createGateway } from './gateway.js';

const config = loadGatewayConfig();
const logger = createLogger('federation-gateway', { level: config.logLevel });
const shutdown = createShutdown(logger, { timeoutMs: 10_000 });
shutdown.listen();

try {
  const gateway = await createGateway({
    supergraphSdl: await readFile(config.supergraphPath, 'utf8'),
    subgraphUrls: config.subgraphUrls,
    logger,
    port: config.port,
    host: config.host,
    introspection: config.introspection,
  });
  shutdown.add('gateway', () => gateway.stop());
} catch (error) {
  logger.fatal({ err: error }, 'federation gateway failed to start');
  await shutdown.run();
  process.exitCode = 1;
}
