/** Which benchmarks run and how long each load phase lasts, from BENCH_QUICK and BENCH_ONLY. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Benchmark ids to run (a–f); all when BENCH_ONLY is unset. */
  readonly only: ReadonlySet<string>;
  /** Measured seconds per load phase. */
  readonly phaseSeconds: number;
  /** Un-measured warm-up seconds before each load phase (JIT, connection pools, caches). */
  readonly warmupSeconds: number;
  /** Rows for the sync benchmark. */
  readonly syncRows: number;
}

export const benchmarkIds = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

export function loadBenchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const requested = (env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = requested.filter((id) => !(benchmarkIds as readonly string[]).includes(id));
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY: unknown benchmark ${unknown.join(', ')} (known: ${benchmarkIds.join(', ')})`);
  }
  return {
    quick,
    only: new Set(requested.length > 0 ? requested : benchmarkIds),
    phaseSeconds: quick ? 4 : 10,
    warmupSeconds: quick ? 1 : 3,
    syncRows: quick ? 100_000 : 1_000_000,
  };
}
