import type { Counter, Histogram, Registry } from 'prom-client';
import type { Metrics } from './metrics.js';

export type Labels = Record<string, string | number>;
/** One exposed sample, in the shape prom-client's registry formats (`metricName` defaults to the metric's name). */
export interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
  /** Histogram buckets carry one (none here: exemplars are off), as prom-client's do. */
  exemplar?: null;
}

/**
 * A metric kept in plain numbers on the hot path and turned into samples only when the registry
 * is read, in the shape prom-client's own metrics give (the exposition is the same text). A
 * prom-client increment or observation costs ~0.5–1 µs (a label object, its hash string,
 * validation), even through a bound `labels(...)` child; these cost a few additions. Registered like
 * any prom-client metric (the registry uses name, help, type, aggregator, get and reset).
 */
export abstract class PlainMetric<S extends { listed: boolean }> {
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

  /** Lists a series on its first count (a branch on the hot path, not a lookup). */
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

/** One counter series with its label values bound. */
export interface PlainCounterSeries {
  readonly labels: Labels;
  value: number;
  listed: boolean;
  /** Adds `n` (default 1). */
  inc(n?: number): void;
}

/** A counter in plain numbers (see {@link PlainMetric}); series are bound once by label values. */
export class PlainCounter<L extends string = string> extends PlainMetric<PlainCounterSeries> {
  constructor(
    name: string,
    help: string,
    readonly labelNames: readonly L[],
  ) {
    super(name, help, 'counter');
  }

  /** The series of these label values (in `labelNames` order), made on first use: bind it once, count on it. */
  labels(...values: Array<string | number>): PlainCounterSeries {
    const key = values.join('\n');
    let series = this.series.get(key);
    if (!series) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? '';
      });
      const made: PlainCounterSeries = {
        labels,
        value: 0,
        listed: false,
        inc: (n = 1) => {
          if (!made.listed) this.list(made);
          made.value += n;
        },
      };
      series = made;
      this.series.set(key, series);
    }
    return series;
  }

  /** Adds `n` to the series of these labels (for label values known only at the call). */
  inc(labels: Partial<Record<L, string | number>>, n = 1): void {
    this.labels(...this.labelNames.map((name) => labels[name] ?? '')).inc(n);
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

/** The registry's metric `name`, made by the first user of the registry and shared by the others. */
export function sharedPlainMetric<M extends PlainMetric<{ listed: boolean }>>(registry: Registry, name: string, make: () => M, kind: abstract new (...args: never[]) => M): M {
  const existing: unknown = registry.getSingleMetric(name);
  if (existing instanceof kind) return existing;
  if (existing !== undefined) throw new Error(`metric ${name} is registered already as another kind of metric`);
  const created = make();
  // Not a prom-client class, but it meets the contract the registry relies on (see PlainMetric).
  registry.registerMetric(created as unknown as Counter | Histogram);
  return created;
}

/**
 * A {@link PlainCounter} named `name` in the registry of `metrics` (the existing one when another
 * component registered it first), or undefined without metrics.
 */
export function plainCounter<L extends string>(metrics: Metrics | undefined, name: string, help: string, labelNames: readonly L[]): PlainCounter<L> | undefined {
  if (!metrics) return undefined;
  return sharedPlainMetric(metrics.registry, name, () => new PlainCounter(name, help, labelNames), PlainCounter) as PlainCounter<L>;
}
