import type { Counter, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../../metrics.js';

/** The metrics of one method, with its label values bound once. */
export interface MethodMetrics {
  /** Counts a finished call under its status code and times it. */
  record(code: string, seconds: number): void;
}

const HANDLED = 'grpc_server_handled_total';
const HANDLING_SECONDS = 'grpc_server_handling_seconds';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

type Labels = Record<string, string | number>;
/** One exposed sample, in the shape prom-client's registry formats (`metricName` defaults to the metric's name). */
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
  /** Histogram buckets carry one (none here: exemplars are off), as prom-client's do. */
  exemplar?: null;
}

/**
 * A metric kept in plain numbers on the call path and turned into samples only when the registry
 * is read, in the shape prom-client's own metrics give (the exposition is the same text). A
 * prom-client increment or observation costs ~0.5–1 µs (a label object, its hash string,
 * validation); these cost a few additions. Registered like any prom-client metric (the registry
 * uses name, help, type, aggregator, get and reset).
 */
abstract class PlainMetric<S extends { listed: boolean }> {
  readonly aggregator = 'sum';
  /** Every series made, by label values. */
  protected readonly series = new Map<string, S>();
  /** Series in the order they first counted something: the order prom-client exposes them in. */
  protected readonly listed: S[] = [];

  constructor(
    /** Writable: an OpenMetrics registry renames counters in place. */
    public name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
  ) {}

  protected abstract samples(): Sample[];

  /** Lists a series on its first count (a branch on the call path, not a lookup). */
  protected list(series: S): void {
    series.listed = true;
    this.listed.push(series);
  }

  /** Like prom-client's reset: every series disappears until it counts again (label values stay bound). */
  abstract reset(): void;

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }
}

interface CountSeries {
  readonly labels: Labels;
  value: number;
  listed: boolean;
}

/** grpc_server_handled_total: calls by service, method and status code. */
class HandledCounter extends PlainMetric<CountSeries> {
  constructor() {
    super(HANDLED, 'RPCs completed on the server, regardless of success or failure', 'counter');
  }

  of(service: string, method: string, code: string): CountSeries {
    const key = `${service}\n${method}\n${code}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { service, method, code }, value: 0, listed: false };
      this.series.set(key, series);
    }
    return series;
  }

  count(series: CountSeries): void {
    if (!series.listed) this.list(series);
    series.value += 1;
  }

  protected samples(): Sample[] {
    return this.listed.map((s) => ({ labels: { ...s.labels }, value: s.value }));
  }

  reset(): void {
    for (const series of this.listed) {
      series.value = 0;
      series.listed = false;
    }
    this.listed.length = 0;
  }
}

interface LatencySeries {
  readonly labels: Labels;
  /** Calls per bucket (not cumulative); the last slot counts calls above the largest bound. */
  readonly buckets: number[];
  sum: number;
  count: number;
  listed: boolean;
}

/** grpc_server_handling_seconds: call latency by service and method. */
class HandlingHistogram extends PlainMetric<LatencySeries> {
  constructor() {
    super(HANDLING_SECONDS, 'Response latency of RPCs handled by the server', 'histogram');
  }

  of(service: string, method: string): LatencySeries {
    const key = `${service}\n${method}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { service, method }, buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0, listed: false };
      this.series.set(key, series);
    }
    return series;
  }

  observe(series: LatencySeries, seconds: number): void {
    if (!series.listed) this.list(series);
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++;
    series.buckets[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  protected samples(): Sample[] {
    const samples: Sample[] = [];
    for (const series of this.listed) {
      let cumulative = 0;
      BUCKETS.forEach((bound, i) => {
        cumulative += series.buckets[i]!;
        samples.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
      });
      samples.push(
        { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket`, exemplar: null },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return samples;
  }

  reset(): void {
    for (const series of this.listed) {
      series.buckets.fill(0);
      series.sum = 0;
      series.count = 0;
      series.listed = false;
    }
    this.listed.length = 0;
  }
}

/** The registry's metric `name`, made by the first server on it and shared by the others. */
function shared<M extends PlainMetric<{ listed: boolean }>>(registry: Registry, name: string, kind: new () => M): M {
  const existing: unknown = registry.getSingleMetric(name);
  if (existing instanceof kind) return existing;
  if (existing !== undefined) throw new Error(`metric ${name} is registered already by something other than the gRPC server`);
  const created = new kind();
  // Not a prom-client class, but it meets the contract the registry relies on (see PlainMetric).
  registry.registerMetric(created as unknown as Counter | Histogram);
  return created;
}

/**
 * Counts calls by service, method and status code and times them, with the metric names of the
 * go-grpc-prometheus convention so existing dashboards and alerts apply unchanged. A method's
 * series are bound when the server starts, so recording a call allocates nothing.
 */
export function serverCallMetrics(metrics: Metrics): (path: string) => MethodMetrics {
  const handled = shared(metrics.registry, HANDLED, HandledCounter);
  const seconds = shared(metrics.registry, HANDLING_SECONDS, HandlingHistogram);
  return (path) => {
    const [, service = '', method = ''] = path.split('/');
    const timing = seconds.of(service, method);
    const ok = handled.of(service, method, 'OK');
    return {
      record(code, elapsed) {
        seconds.observe(timing, elapsed);
        handled.count(code === 'OK' ? ok : handled.of(service, method, code));
      },
    };
  };
}
