import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testLogger } from '@core/testing';
import { createLogger, createMetrics, createShutdown, startHttpServer, startMetricsServer } from '../src/index.js';

describe('createLogger', () => {
  it('writes JSON with service, ISO time and redacted credentials', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('master-data', { destination });
    logger.info({ metadata: { authorization: 'Bearer secret-token' }, password: 'hunter2' }, 'hello');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({ service: 'master-data', level: 'info', msg: 'hello' });
    expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(JSON.stringify(line)).not.toMatch(/secret-token|hunter2/);
  });
});

describe('metrics server', () => {
  it('serves the registry on GET /metrics and 404 elsewhere', async () => {
    const metrics = createMetrics();
    const server = await startMetricsServer(metrics, 0, '127.0.0.1');
    try {
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('startHttpServer', () => {
  it('answers 500 when a handler fails and closes despite keep-alive clients', async () => {
    const server = await startHttpServer(
      async (req, res) => {
        if (req.url === '/fail') throw new Error('handler bug');
        res.end('ok');
      },
      0,
      '127.0.0.1',
      { logger: testLogger() },
    );
    expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toBe('ok');
    expect((await fetch(`http://127.0.0.1:${server.port}/fail`)).status).toBe(500);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('createShutdown', () => {
  it('runs hooks in reverse order, bounds each by the timeout and keeps going after failures', async () => {
    const order: string[] = [];
    const shutdown = createShutdown(testLogger(), { timeoutMs: 200 });
    shutdown.add('database', async () => {
      order.push('database');
    });
    shutdown.add('stuck', () => new Promise<void>(() => order.push('stuck')));
    shutdown.add('failing', async () => {
      order.push('failing');
      throw new Error('already closed');
    });
    shutdown.add('grpc', async () => {
      order.push('grpc');
    });
    const started = Date.now();
    await Promise.all([shutdown.run(), shutdown.run()]);
    expect(order).toEqual(['grpc', 'failing', 'stuck', 'database']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
