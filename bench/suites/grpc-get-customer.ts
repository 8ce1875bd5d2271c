import * as grpc from '@grpc/grpc-js';
import { GetCustomerRequest, GetCustomerResponse } from '@core/contracts/masterdata/v1';
import { startChild, cpuMicros, type CpuSample } from '../lib/child.js';
import { grpcUnaryRaw, median, runGrpcLoad, type GrpcLoadResult } from '../lib/grpc-load.js';
import { describeCacheCounters, parsePrometheus } from '../lib/prometheus.js';
import { fmt, type BenchResult } from '../lib/report.js';
import type { BenchContext } from './context.js';

const PATH = '/core.masterdata.v1.MasterDataService/GetCustomer';
const CONCURRENCY = 50;
const TARGET = 0.8;

interface ServiceInfo {
  address: string;
  metricsUrl: string;
  /** A signed-in user's bearer header the service accepts. */
  authorization: string;
}

interface Round {
  server: 'service' | 'bare';
  load: GrpcLoadResult;
  serverCpuMicrosPerCall: number;
}

/**
 * (a) GetCustomer served from the hot cache vs a bare grpc-js server answering the same method path
 * with pre-encoded bytes of the same size. Same driver, same concurrency, same duration; servers run
 * one at a time in the same child-process shape, in ABBA order, and each side's median is compared.
 */
export async function benchGrpcGetCustomer(ctx: BenchContext): Promise<BenchResult> {
  const title = 'GetCustomer cache hit vs bare grpc-js';
  const database = await ctx.freshDatabase('bench_a');
  const customers = ctx.options.quick ? 2_000 : 10_000;
  const env = { BENCH_DATABASE_URL: database, BENCH_CUSTOMERS: String(customers), BENCH_CACHE_PREFIX: ctx.redisPrefix('a') };
  const rounds: Round[] = [];
  let requests: Buffer[] = [];
  let bareResponse: Buffer | undefined;
  /** Every call of both sides carries the token the service verifies (the bare server ignores it). */
  let headers: Record<string, string> = {};
  let serviceResponseSizes: number[] = [];
  const cacheNotes: string[] = [];

  const startService = async () => {
    const child = await startChild<ServiceInfo>('master-data', { env, logName: 'a-master-data' });
    ctx.log(`(a) master-data service up at ${child.info.address}`);
    headers = { authorization: child.info.authorization };
    if (requests.length === 0) {
      const keys = await child.call<Array<{ id: number; number: string }>>('customerKeys', { limit: customers });
      if (keys.length === 0) throw new Error('the mirror has no customers after the initial sync');
      requests = keys.map((k) => Buffer.from(GetCustomerRequest.encode({ id: k.id, number: '' }).finish()));
    }
    // Warm: every key once (fills the cache), then once more so the measured phase starts all-hit.
    // A restarted service finds the entries still in Redis, so one pass re-warms it.
    const passes = rounds.length === 0 ? 2 : 1;
    for (let pass = 0; pass < passes; pass++) {
      const warm = await runGrpcLoad({ address: child.info.address, path: PATH, requests, concurrency: CONCURRENCY, seconds: 120, maxCalls: requests.length, headers });
      if (warm.errors > 0) throw new Error(`warming GetCustomer failed: ${JSON.stringify(warm.errorsByCode)}`);
    }
    return child;
  };

  const measure = async (server: Round['server'], child: { info: { address: string }; call<T>(m: string): Promise<T> }) => {
    await runGrpcLoad({ address: child.info.address, path: PATH, requests, concurrency: CONCURRENCY, seconds: ctx.options.warmupSeconds, maxCalls: 1_000_000, headers });
    const before = await child.call<CpuSample>('cpuUsage');
    const load = await runGrpcLoad({ address: child.info.address, path: PATH, requests, concurrency: CONCURRENCY, seconds: ctx.options.phaseSeconds, maxCalls: 2_000_000, headers });
    const after = await child.call<CpuSample>('cpuUsage');
    const round: Round = { server, load, serverCpuMicrosPerCall: cpuMicros(before, after) / Math.max(1, load.calls) };
    rounds.push(round);
    ctx.log(`(a) ${server}: ${fmt.rate(load.callsPerSecond)} calls/s, p50 ${fmt.ms(load.p50Ms)}, p99 ${fmt.ms(load.p99Ms)}, errors ${load.errors}`);
    if (load.errors > 0) throw new Error(`${server} answered ${load.errors} calls with errors: ${JSON.stringify(load.errorsByCode)}`);
  };

  const serviceRound = async () => {
    const child = await startService();
    try {
      if (!bareResponse) {
        // The baseline answers with a real customer of typical size, encoded by the generated code.
        const client = new grpc.Client(child.info.address, grpc.credentials.createInsecure());
        try {
          const sample = requests.filter((_, i) => i % Math.max(1, Math.floor(requests.length / 200)) === 0);
          const responses = await Promise.all(sample.map((r) => grpcUnaryRaw(client, PATH, r, { headers })));
          serviceResponseSizes = responses.map((r) => r.length).sort((x, y) => x - y);
          const typical = median(serviceResponseSizes);
          const chosen = responses.reduce((best, r) => (Math.abs(r.length - typical) < Math.abs(best.length - typical) ? r : best));
          bareResponse = Buffer.from(GetCustomerResponse.encode(GetCustomerResponse.decode(chosen)).finish());
        } finally {
          client.close();
        }
      }
      const before = parsePrometheus(await child.call<string>('metrics'));
      await measure('service', child);
      const after = parsePrometheus(await child.call<string>('metrics'));
      cacheNotes.push(...describeCacheCounters(before, after, 'Service round (warm-up + measured)'));
    } finally {
      await child.stop();
    }
  };

  const bareRound = async (count: number) => {
    const child = await startChild<{ address: string }>('bare-grpc', {
      env: { BENCH_RESPONSE_B64: bareResponse!.toString('base64') },
      logName: 'a-bare-grpc',
    });
    try {
      for (let i = 0; i < count; i++) await measure('bare', child);
    } finally {
      await child.stop();
    }
  };

  // ABBA: service, bare, bare, service — drift on the machine affects both sides alike.
  await serviceRound();
  await bareRound(2);
  await serviceRound();

  const serviceRate = median(rounds.filter((r) => r.server === 'service').map((r) => r.load.callsPerSecond));
  const bareRate = median(rounds.filter((r) => r.server === 'bare').map((r) => r.load.callsPerSecond));
  const ratio = serviceRate / bareRate;
  const serviceCpu = median(rounds.filter((r) => r.server === 'service').map((r) => r.serverCpuMicrosPerCall));
  const bareCpu = median(rounds.filter((r) => r.server === 'bare').map((r) => r.serverCpuMicrosPerCall));
  const driverCpu = median(rounds.map((r) => r.load.driverCpuMicrosPerCall));
  return {
    id: 'a',
    title,
    status: 'ran',
    subject: `${fmt.rate(serviceRate)} calls/s`,
    baseline: `${fmt.rate(bareRate)} calls/s`,
    ratio: fmt.ratio(ratio),
    target: { description: `≥ ${TARGET}×`, met: ratio >= TARGET },
    details: [
      `Method: one @grpc/grpc-js client in the parent, raw \`makeUnaryRequest\` with identity (de)serializers, ${CONCURRENCY} calls in flight, ` +
        `${ctx.options.warmupSeconds} s warm-up + ${ctx.options.phaseSeconds} s measured per round, rounds in ABBA order (service, bare, bare, service), median per side. ` +
        'Every call of both sides carries the same `authorization: Bearer <JWT>` header.',
      `Service: master-data on PostgreSQL (fresh database) + Redis 127.0.0.1:6379, fixture source with ${customers.toLocaleString('en-US')} customers, ` +
        `each fetched twice before measuring so every key is cached; requests by CUST_ACCOUNT_ID cycle through all of them. The service child restarts between its rounds (mirror reused, cache re-warmed). ` +
        'The service verifies the bearer token of every call as deployed (EdDSA JWT of a test issuer shaped like identity, keys in process); one token is reused, so after the first call its verification is a cache hit, as for a user whose requests the gateway forwards.',
      `Baseline: bare grpc-js server on the same path answering a pre-encoded GetCustomerResponse of ${bareResponse?.length ?? 0} bytes ` +
        `(service responses: ${serviceResponseSizes[0]}–${serviceResponseSizes.at(-1)} bytes, median ${median(serviceResponseSizes)}).`,
      `Server CPU per call (child process.cpuUsage): service ${fmt.us(serviceCpu)}, bare ${fmt.us(bareCpu)} — ` +
        `if each server had a core of its own and the driver kept up, calls/s would scale as the inverse, i.e. a ratio of ${fmt.ratio(bareCpu / serviceCpu)}. ` +
        'This figure is less sensitive than calls/s to other load on the machine.',
      ...cacheNotes,
      '',
      '| round | server | calls/s | p50 | p99 | calls | errors | server CPU/call | driver CPU/call |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rounds.map(
        (r, i) =>
          `| ${i + 1} | ${r.server} | ${fmt.rate(r.load.callsPerSecond)} | ${fmt.ms(r.load.p50Ms)} | ${fmt.ms(r.load.p99Ms)} | ${r.load.calls} | ${r.load.errors} | ${fmt.us(r.serverCpuMicrosPerCall)} | ${fmt.us(r.load.driverCpuMicrosPerCall)} |`,
      ),
    ],
    limits: [
      `Two cores shared by the load driver (parent) and the server (child). The driver itself spends ~${fmt.us(driverCpu)} per call (median of the rounds), ` +
        'more than either server; driver and server largely take turns, so calls/s follows the sum of both CPU costs and moves with any other load on the machine. ' +
        'Server CPU per call is the steadier figure. Hot keys are served from the in-process tier of the ' +
        'cache (see cache_local_lookups_total above), so calls make no Redis round trip; the tier still subscribes to Redis for evictions.',
      'The service does per call what production needs and the baseline lacks: bearer-token verification (a cache hit for the repeated token) and the access rule, ' +
        'request decode and validation, two in-process cache lookups (the entity generation and the record, each an LRU lookup with a TTL check), metrics and the call ' +
        'pipeline. A hot record is mapped to its Customer message and its GetCustomerResponse encoded once, while the in-process tier holds it (the bytes are reused ' +
        'per call, as the baseline reuses its pre-encoded answer); grpc-js still copies them into each frame. The server runs its pipeline (logging, metrics, deadline, error ' +
        "mapping with rich details, undecodable requests, authentication) as one straight-line step on grpc-js's call, with no middleware generators and no per-call " +
        'copies of context or metadata; measured alone it adds a few µs per call over a bare grpc-js handler (as seven nice-grpc middleware layers it added ~25 µs). ' +
        'A CPU profile of the service (BENCH_PROFILE=1) puts grpc-js/http2 response handling at ~15% (a third of it copying the message into the frame), the ' +
        'record-store read at ~9% (two LRU lookups), the access check and handler at ~4–5%, token verification at ~4% and metrics at ~1%; the rest is grpc-js/http2 ' +
        'request handling (as in the baseline) and promise plumbing of the async handler chain.',
    ],
    data: { rounds, serviceRate, bareRate, ratio, serviceCpu, bareCpu, driverCpu, cpuBoundRatio: bareCpu / serviceCpu, customers, bareResponseBytes: bareResponse?.length, serviceResponseSizes },
  };
}
