import type { Metrics } from '../../metrics.js';
import { type Labels, PlainCounter, type PlainCounterSeries, PlainMetric, type Sample, sharedPlainMetric } from '../../plain-metrics.js';

/** The metrics of one method, with its label values bound once. */
export interface MethodMetrics {
  /** Counts a finished call under its status code and times it. */
  record(code: string, seconds: number): void;
}

const HANDLED = 'grpc_server_handled_total';
const HANDLING_SECONDS = 'grpc_server_handling_seconds';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

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

/**
 * Counts calls by service, method and status code and times them, with the metric names of the
 * go-grpc-prometheus convention so existing dashboards and alerts apply unchanged. A method's
 * series are bound when the server starts, so recording a call allocates nothing.
 */
export function serverCallMetrics(metrics: Metrics): (path: string) => MethodMetrics {
  const handled = sharedPlainMetric(
    metrics.registry,
    HANDLED,
    () => new PlainCounter(HANDLED, 'RPCs completed on the server, regardless of success or failure', ['service', 'method', 'code']),
    PlainCounter,
  );
  const seconds = sharedPlainMetric(metrics.registry, HANDLING_SECONDS, () => new HandlingHistogram(), HandlingHistogram);
  return (path) => {
    const [, service = '', method = ''] = path.split('/');
    const timing = seconds.of(service, method);
    const ok: PlainCounterSeries = handled.labels(service, method, 'OK');
    // Other codes bound on first use, then by a map lookup on the code alone.
    const byCode = new Map<string, PlainCounterSeries>();
    return {
      record(code, elapsed) {
        seconds.observe(timing, elapsed);
        if (code === 'OK') {
          ok.inc();
          return;
        }
        let series = byCode.get(code);
        if (!series) {
          series = handled.labels(service, method, code);
          byCode.set(code, series);
        }
        series.inc();
      },
    };
  };
}
