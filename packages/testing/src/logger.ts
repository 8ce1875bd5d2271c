import { createLogger, type Logger } from '@core/platform';

/** A logger that stays silent unless TEST_LOG names a level (e.g. TEST_LOG=debug) for debugging a failure. */
export function testLogger(name = 'test'): Logger {
  return createLogger(name, { level: process.env.TEST_LOG || 'silent' });
}
