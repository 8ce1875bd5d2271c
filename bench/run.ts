/**
 * `npm run bench`: every benchmark side by side with its baseline in one run, a table on the
 * console, bench/REPORT.md and bench/results/latest.json. Benchmarks report; they do not fail the
 * build (exit 0) — a missed target is printed loudly instead. A benchmark whose dependency is not
 * available is reported as not run, with the reason, and the others still run.
 *
 * BENCH_QUICK=1 shortens every phase (and syncs 100,000 rows instead of 1,000,000);
 * BENCH_ONLY=a,c selects benchmarks; BENCH_PROFILE=1 also writes a CPU profile of each child
 * process to bench/results/profiles (open in Chrome DevTools; it slows the children a little).
 */
import { readdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBenchOptions, type BenchOptions } from './lib/options.js';
import { machineFacts, renderTable, writeReport, type BenchResult } from './lib/report.js';
import { createDatabasePool } from './lib/databases.js';
import { deleteKeysWithPrefix } from './lib/redis-keys.js';
import type { BenchContext } from './suites/context.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const titles: Record<string, string> = {
  a: 'GetCustomer cache hit vs bare grpc-js',
  b: 'customer by code: gateway vs direct subgraph, CPU/request',
  c: 'customers page with region: gRPC calls per GraphQL request',
  d: 'full sync of customers vs raw multi-row INSERT',
  e: 'token verification: customer by code with vs without verification, CPU/request',
  f: 'customer by code: our gateway vs Hive Gateway on the same supergraph, CPU/request',
};

async function main(): Promise<void> {
  const options = loadBenchOptions();
  const startedAt = new Date();
  const machine = machineFacts();
  const log = (message: string) => console.log(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  const databases = createDatabasePool(log);
  const redisPrefixes: string[] = [];
  const redisPrefix = (purpose: string) => {
    const prefix = `bench:${purpose}:${process.pid}:${Date.now().toString(36)}:`;
    redisPrefixes.push(prefix);
    return prefix;
  };
  const ctx: BenchContext = { options, log, freshDatabase: databases.fresh, redisPrefix };
  const results: BenchResult[] = [];

  // Child logs of this run only (each child appends, since a child may start more than once).
  for (const file of await readdir(join(benchDir, 'results')).catch(() => [] as string[])) {
    if (file.endsWith('.log')) await rm(join(benchDir, 'results', file));
  }
  log(`benchmarks ${[...options.only].join(', ')}${options.quick ? ' (quick)' : ''}`);
  try {
    if (options.only.has('a')) results.push(...(await attempt(['a'], async () => [await (await import('./suites/grpc-get-customer.js')).benchGrpcGetCustomer(ctx)])));
    const edge = ['b', 'c', 'e', 'f'].filter((id) => options.only.has(id));
    if (edge.length > 0) results.push(...(await attempt(edge, async () => (await import('./suites/graphql-edge.js')).benchGraphqlEdge(ctx))));
    if (options.only.has('d')) results.push(...(await attempt(['d'], async () => [await (await import('./suites/customer-sync.js')).benchCustomerSync(ctx)])));
  } finally {
    await databases.dropAll();
    try {
      log(`removed ${await deleteKeysWithPrefix(redisPrefixes)} Redis keys of this run`);
    } catch (error) {
      log(`could not remove this run's Redis keys (${redisPrefixes.join(', ')}): ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  console.log(`\n${renderTable(results)}\n`);
  const missed = results.filter((r) => r.status === 'ran' && r.target?.met === false);
  const notRun = results.filter((r) => r.status !== 'ran');
  const load = loadavg()[0]!;
  if (Math.max(machine.loadAverage.start, load) > 2.5) {
    console.log(`WARNING: 1-minute load average ${machine.loadAverage.start} at start, ${load.toFixed(2)} now: other work shared the cores; verdicts are unreliable.`);
  }
  for (const r of missed) console.log(`TARGET MISSED (${r.id}) ${r.title}: ${r.ratio} against ${r.target?.description}`);
  for (const r of notRun) console.log(`${r.status.toUpperCase()} (${r.id}) ${r.title}: ${r.reason}`);
  await writeReport(benchDir, results, { options, startedAt, seconds, machine, preamble: preamble(options) });
  log(`wrote bench/REPORT.md and bench/results/latest.json (${Math.round(seconds)} s)`);

  /** Runs a suite; a failure becomes a reported result instead of ending the run. */
  async function attempt(ids: string[], fn: () => Promise<BenchResult[]>): Promise<BenchResult[]> {
    try {
      return await fn();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log(`(${ids.join(',')}) did not complete: ${reason}`);
      if (error instanceof Error && error.stack) console.error(error.stack);
      const status = /Cannot find module|ERR_MODULE_NOT_FOUND|does not provide an export|is not a function/.test(reason) ? 'not run' : 'failed';
      return ids.map((id) => ({ id, title: titles[id]!, status, reason }));
    }
  }
}

function preamble(options: BenchOptions): string {
  return [
    'What is measured: (a) master-data GetCustomer on a cache hit against a bare grpc-js server returning the same bytes; ' +
      '(b) CPU per GraphQL request through the federation gateway against the same request sent straight to the subgraph; ' +
      '(c) downstream gRPC calls per GraphQL page of customers with their region, by page size; ' +
      `(d) a full sync of ${options.syncRows.toLocaleString('en-US')} fixture customers into PostgreSQL against a raw multi-row INSERT of the same rows; ` +
      '(e) CPU per GraphQL request with bearer-token verification at the gateway and the service against the same path with verification off; ' +
      '(f) CPU per GraphQL request through our gateway against Hive Gateway on the same supergraph (no target; DESIGN §8).',
    'Every pair runs in this one process tree on this machine, one side at a time, with the same driver; targets are on the ratios.',
  ].join(' ');
}

await main();
