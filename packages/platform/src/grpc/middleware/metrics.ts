import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../../metrics.js';

function metric<T>(metrics: Metrics, name: string, make: () => T): T {
  return (metrics.registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The metrics of one method, with its label values bound once. */
export interface MethodMetrics {
  /** Counts a finished call under its status code and times it. */
  record(code: string, seconds: number): void;
}

/**
 * Counts calls by service, method and status code and times them, with the metric names of the
 * go-grpc-prometheus convention so existing dashboards and alerts apply unchanged. Label values are
 * bound per method when the server starts, so a call allocates no label objects.
 */
export function serverCallMetrics(metrics: Metrics): (path: string) => MethodMetrics {
  const handled = metric(
    metrics,
    'grpc_server_handled_total',
    () =>
      new Counter({
        name: 'grpc_server_handled_total',
        help: 'RPCs completed on the server, regardless of success or failure',
        labelNames: ['service', 'method', 'code'],
        registers: [metrics.registry],
      }),
  );
  const seconds = metric(
    metrics,
    'grpc_server_handling_seconds',
    () =>
      new Histogram({
        name: 'grpc_server_handling_seconds',
        help: 'Response latency of RPCs handled by the server',
        labelNames: ['service', 'method'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [metrics.registry],
      }),
  );
  return (path) => {
    const [, service = '', method = ''] = path.split('/');
    const timing = seconds.labels(service, method);
    const ok = handled.labels(service, method, 'OK');
    const byCode = new Map<string, { inc(): void }>();
    return {
      record(code, elapsed) {
        timing.observe(elapsed);
        if (code === 'OK') {
          ok.inc();
          return;
        }
        let counter = byCode.get(code);
        if (!counter) {
          counter = handled.labels(service, method, code);
          byCode.set(code, counter);
        }
        counter.inc();
      },
    };
  };
}
