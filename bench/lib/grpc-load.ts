import * as grpc from '@grpc/grpc-js';

/** Outcome of one bounded unary load phase. */
export interface GrpcLoadResult {
  calls: number;
  errors: number;
  errorsByCode: Record<string, number>;
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  responseBytes: number;
  /** CPU time (user + system) of this process, the load driver, per call. */
  driverCpuMicrosPerCall: number;
}

const identity = (b: Buffer) => b;

/**
 * Drives one unary method with `concurrency` calls in flight through one @grpc/grpc-js client, using
 * raw `makeUnaryRequest` with identity (de)serializers so the driver spends no time on protobuf and
 * treats the system under test and its baseline exactly alike. Bounded by time and by call count.
 */
export async function runGrpcLoad(options: {
  address: string;
  path: string;
  requests: readonly Buffer[];
  concurrency: number;
  seconds: number;
  maxCalls: number;
  deadlineMs?: number;
  /** Request headers every call carries (e.g. `authorization`); the same for the system under test and its baseline. */
  headers?: Readonly<Record<string, string>>;
}): Promise<GrpcLoadResult> {
  const client = new grpc.Client(options.address, grpc.credentials.createInsecure());
  const headers = requestMetadata(options.headers);
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())),
    );
    const latencies: number[] = [];
    const errorsByCode: Record<string, number> = {};
    let started = 0;
    let completed = 0;
    let errors = 0;
    let responseBytes = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const stopAt = t0 + BigInt(Math.round(options.seconds * 1e9));

    const worker = async () => {
      while (started < options.maxCalls && process.hrtime.bigint() < stopAt) {
        const request = options.requests[started % options.requests.length]!;
        started++;
        const begin = process.hrtime.bigint();
        await new Promise<void>((resolve) => {
          client.makeUnaryRequest(
            options.path,
            identity,
            identity,
            request,
            headers.clone(),
            { deadline: Date.now() + (options.deadlineMs ?? 5_000) },
            (error, response) => {
              completed++;
              if (error) {
                errors++;
                const code = grpc.status[error.code] ?? String(error.code);
                errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
              } else {
                responseBytes = response?.length ?? 0;
                latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
              }
              resolve();
            },
          );
        });
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    const ok = completed - errors;
    return {
      calls: completed,
      errors,
      errorsByCode,
      seconds,
      callsPerSecond: ok / seconds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      responseBytes,
      driverCpuMicrosPerCall: (cpu.user + cpu.system) / Math.max(1, completed),
    };
  } finally {
    client.close();
  }
}

function requestMetadata(headers: Readonly<Record<string, string>> = {}): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

/** One unary call with raw bytes, for warming and sampling. */
export function grpcUnaryRaw(
  client: grpc.Client,
  path: string,
  request: Buffer,
  options: { deadlineMs?: number; headers?: Readonly<Record<string, string>> } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + (options.deadlineMs ?? 10_000);
    client.makeUnaryRequest(path, identity, identity, request, requestMetadata(options.headers), { deadline }, (error, response) =>
      error || !response ? reject(error ?? new Error(`${path}: empty response`)) : resolve(response),
    );
  });
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
