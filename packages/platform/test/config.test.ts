import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  databaseConfig,
  grpcConfig,
  loadConfig,
  logConfig,
  metricsConfig,
  pagingConfig,
  redisConfig,
} from '../src/index.js';

const schema = z.object({ ...logConfig, ...databaseConfig, ...redisConfig, ...grpcConfig(50052), ...metricsConfig, ...pagingConfig });

describe('loadConfig', () => {
  it('applies defaults and treats an empty REDIS_URL as unset', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'pglite:memory', REDIS_URL: '' });
    expect(config).toMatchObject({
      LOG_LEVEL: 'info',
      DATABASE_URL: 'pglite:memory',
      REDIS_URL: undefined,
      GRPC_HOST: '0.0.0.0',
      GRPC_PORT: 50052,
      METRICS_PORT: 9464,
    });
  });

  it('parses ports and URLs from strings', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://md@db:5432/masterdata',
      REDIS_URL: 'redis://redis:6379/0',
      GRPC_PORT: '6000',
      PAGE_TOKEN_SECRET: 'a-long-enough-shared-secret',
    });
    expect(config.GRPC_PORT).toBe(6000);
    expect(config.REDIS_URL).toBe('redis://redis:6379/0');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: 'mysql://x', REDIS_URL: 'localhost:6379', GRPC_PORT: '70000', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((i) => i.variable).sort();
    expect(variables).toEqual(['DATABASE_URL', 'GRPC_PORT', 'LOG_LEVEL', 'REDIS_URL']);
    expect((error as Error).message).toContain('DATABASE_URL');
  });

  it('accepts the spreadable defaults of grpcConfig', () => {
    expect(loadConfig(z.object({ ...grpcConfig }), {})).toEqual({ GRPC_HOST: '0.0.0.0', GRPC_PORT: 50051 });
  });
});
