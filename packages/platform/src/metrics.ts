import { collectDefaultMetrics, Registry } from 'prom-client';
import { startHttpServer, type HttpServer } from './http.js';

/** A service's Prometheus registry (one per service, so embedded mode can host several). */
export interface Metrics {
  readonly registry: Registry;
  /** Metric name prefix given to {@link createMetrics} ('' when none). */
  readonly prefix: string;
}

/** A registry with the default Node.js process metrics (event loop lag, heap, GC, …). */
export function createMetrics(prefix = ''): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return { registry, prefix };
}

/** Serves `GET /metrics` in the Prometheus text format; every other path is 404. */
export function startMetricsServer(metrics: Metrics, port: number, host = '0.0.0.0'): Promise<HttpServer> {
  return startHttpServer(
    async (req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    },
    port,
    host,
  );
}
