import { Counter, Histogram } from 'prom-client';
import type { CallContext, ServerMiddlewareCall } from 'nice-grpc';
import type { Metrics } from '../../metrics.js';
import { statusName } from './logging.js';

function metric<T>(metrics: Metrics, name: string, make: () => T): T {
  return (metrics.registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Counts calls by service, method and status code and times them, with the metric names of the
 * go-grpc-prometheus convention so existing dashboards and alerts apply unchanged.
 */
export function serverMetricsMiddleware(metrics: Metrics) {
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
  return async function* serverMetrics<Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext) {
    const [, service = '', method = ''] = call.method.path.split('/');
    const stop = seconds.startTimer({ service, method });
    let code = 'OK';
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      code = statusName(err);
      throw err;
    } finally {
      stop();
      handled.inc({ service, method, code });
    }
  };
}
