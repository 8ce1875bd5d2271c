/**
 * `npm start`: the whole mesh in one Node process on the embedded default — PGlite under `.data/`,
 * in-process cache and lock, the fixture source — with every service still on its own port and
 * talking real gRPC/HTTP over loopback. Ctrl-C stops everything cleanly; a second start reuses the
 * data already loaded.
 */
import { createLogger, createShutdown } from '@core/platform';
import { loadEmbeddedConfig } from './config.js';
import { startMesh } from './mesh.js';

const config = loadEmbeddedConfig();
const logger = createLogger('embedded', { level: config.logLevel });
const shutdown = createShutdown(logger, { timeoutMs: 15_000 });
shutdown.listen();

try {
  const mesh = await startMesh(config, logger);
  shutdown.add('mesh', () => mesh.stop());
  process.stdout.write(mesh.banner() + '\n');
} catch (error) {
  logger.fatal({ err: error }, 'the mesh failed to start');
  await shutdown.run();
  process.exitCode = 1;
}
