import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { serverCallMetrics } from '../src/grpc/middleware/metrics.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same two metrics as prom-client's own classes: what the server's metrics must expose identically. */
function promClientReference() {
  const registry = new Registry();
  const handled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'RPCs completed on the server, regardless of success or failure',
    labelNames: ['service', 'method', 'code'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Response latency of RPCs handled by the server',
    labelNames: ['service', 'method'],
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    record(path: string, code: string, elapsed: number) {
      const [, service = '', method = ''] = path.split('/');
      seconds.observe({ service, method }, elapsed);
      handled.inc({ service, method, code });
    },
  };
}

const calls: Array<[string, string, number]> = [
  ['/core.masterdata.v1.MasterDataService/GetCustomer', 'OK', 0.0004],
  ['/core.masterdata.v1.MasterDataService/GetCustomer', 'OK', 0.001],
  ['/core.masterdata.v1.MasterDataService/GetCustomer', 'OK', 0.0031],
  ['/core.masterdata.v1.MasterDataService/GetCustomer', 'NOT_FOUND', 0.0007],
  ['/core.masterdata.v1.MasterDataService/GetCustomer', 'OK', 12.5],
  ['/core.masterdata.v1.SyncService/TriggerSync', 'INVALID_ARGUMENT', 0.02],
  ['/core.masterdata.v1.SyncService/TriggerSync', 'OK', 0.75],
  ['/core.masterdata.v1.MasterDataService/GetCustomer', 'UNAUTHENTICATED', 0.0002],
];

describe('server call metrics', () => {
  it('expose exactly what prom-client counters and histograms would for the same calls', async () => {
    const reference = promClientReference();
    const registry = new Registry();
    const methodMetrics = serverCallMetrics({ registry, prefix: '' });
    const byPath = new Map<string, ReturnType<typeof methodMetrics>>();
    for (const [path, code, elapsed] of calls) {
      reference.record(path, code, elapsed);
      if (!byPath.has(path)) byPath.set(path, methodMetrics(path));
      byPath.get(path)?.record(code, elapsed);
    }
    expect(await registry.metrics()).toBe(await reference.registry.metrics());
    expect(await registry.getMetricsAsJSON()).toEqual(await reference.registry.getMetricsAsJSON());

    // The registry's types pin the content type its constructor chose; switching is supported at runtime.
    const openMetrics = Registry.OPENMETRICS_CONTENT_TYPE as typeof Registry.PROMETHEUS_CONTENT_TYPE;
    registry.setContentType(openMetrics);
    reference.registry.setContentType(openMetrics);
    expect(await registry.metrics()).toBe(await reference.registry.metrics());
  });

  it('start from zero after a reset and show a method only once it was called', async () => {
    const registry = new Registry();
    const methodMetrics = serverCallMetrics({ registry, prefix: '' });
    const getCustomer = methodMetrics('/core.masterdata.v1.MasterDataService/GetCustomer');
    methodMetrics('/core.masterdata.v1.MasterDataService/ListCustomers');
    getCustomer.record('OK', 0.002);
    registry.resetMetrics();
    getCustomer.record('OK', 0.003);
    const text = await registry.metrics();
    expect(text).toMatch(/grpc_server_handled_total\{service="core\.masterdata\.v1\.MasterDataService",method="GetCustomer",code="OK"\} 1\n/);
    expect(text).toMatch(/grpc_server_handling_seconds_sum\{[^}]*method="GetCustomer"\} 0\.003\n/);
    expect(text).not.toMatch(/ListCustomers/);
  });

  it('are shared by every server on one registry', async () => {
    const registry = new Registry();
    serverCallMetrics({ registry, prefix: '' })('/test.v1.Probe/Echo').record('OK', 0.001);
    serverCallMetrics({ registry, prefix: '' })('/test.v1.Probe/Echo').record('OK', 0.001);
    expect(await registry.metrics()).toMatch(/grpc_server_handled_total\{service="test\.v1\.Probe",method="Echo",code="OK"\} 2\n/);
  });
});
