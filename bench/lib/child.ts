import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/**
 * Benchmark children: each system under test runs in its own Node process so the load driver in the
 * parent does not compete with it on the same event loop, and so its CPU time and peak RSS are its own.
 * The protocol over the IPC channel is a tiny request/response: the parent sends `{kind:'call'}`, the
 * child answers `{kind:'reply'}`; a child announces `{kind:'ready', info}` once it is serving.
 */

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const resultsDir = join(benchDir, 'results');

type CallMessage = { kind: 'call'; id: number; method: string; args: unknown };
type ReplyMessage = { kind: 'reply'; id: number; result?: unknown; error?: string };
type ReadyMessage = { kind: 'ready'; info: unknown };
type FailedMessage = { kind: 'failed'; error: string };
type ChildMessage = ReplyMessage | ReadyMessage | FailedMessage;

/** CPU time of the child process itself, as `process.cpuUsage()` reports it (µs), with a wall-clock stamp. */
export interface CpuSample {
  user: number;
  system: number;
  wallNs: string;
  /** Garbage-collection pauses of the main thread so far (ms), scavenges and full collections. */
  gcMinorMs: number;
  gcMajorMs: number;
}

/** GC pauses of this process since {@link observeGc} (a child starts it when it serves the parent). */
const gcTotals = { minorMs: 0, majorMs: 0 };
let gcObserver: PerformanceObserver | undefined;

function observeGc(): void {
  if (gcObserver) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcTotals.minorMs += entry.duration;
      else gcTotals.majorMs += entry.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** A running child with a typed call channel. */
export interface BenchChild<Info> {
  readonly info: Info;
  readonly pid: number;
  call<T>(method: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to stop cleanly; kills it when it does not exit in time. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `bench/children/<name>.child.ts` under the project's Node (the parent's `process.execPath`,
 * which `npm run bench` resolves to node_modules/.bin/node v24) with tsx as an import hook, so the IPC
 * channel and /proc/self/status belong to the very process that runs the code (the `tsx` CLI would put
 * a relay process in between). Child output goes to bench/results/<logName>.log.
 */
export async function startChild<Info>(
  name: string,
  options: { env?: Record<string, string>; args?: string[]; logName?: string; readyTimeoutMs?: number } = {},
): Promise<BenchChild<Info>> {
  mkdirSync(resultsDir, { recursive: true });
  const logPath = join(resultsDir, `${options.logName ?? name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child: ChildProcess = fork(join(benchDir, 'children', `${name}.child.ts`), options.args ?? [], {
    execPath: process.execPath,
    // BENCH_PROFILE=1 writes a V8 CPU profile of every child to bench/results/profiles on exit,
    // for finding where a system under test spends its time.
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'profiles')}`] : [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`bench child ${name} exited (code ${code}, signal ${signal}); see ${logPath}`));
      pending.clear();
      log.end();
      resolve();
    });
  });

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench child ${name} not ready within ${options.readyTimeoutMs ?? 300_000} ms; see ${logPath}`));
    }, options.readyTimeoutMs ?? 300_000);
    child.on('message', (raw: ChildMessage) => {
      if (raw.kind === 'ready') {
        clearTimeout(timer);
        resolve(raw.info as Info);
      } else if (raw.kind === 'failed') {
        clearTimeout(timer);
        reject(new Error(`bench child ${name} failed to start: ${raw.error}`));
      } else if (raw.kind === 'reply') {
        const p = pending.get(raw.id);
        if (!p) return;
        pending.delete(raw.id);
        if (raw.error !== undefined) p.reject(new Error(`${name}: ${raw.error}`));
        else p.resolve(raw.result);
      }
    });
    child.once('exit', async (code) => {
      clearTimeout(timer);
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      reject(new Error(`bench child ${name} exited with code ${code} before it was ready; log tail:\n${tail}`));
    });
  });

  const call = <T>(method: string, args?: unknown, timeoutMs = 600_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`bench child ${name} has exited`));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`bench child ${name}: ${method} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.send({ kind: 'call', id, method, args } satisfies CallMessage);
    });

  return {
    info,
    pid: child.pid ?? -1,
    call,
    async stop(timeoutMs = 30_000) {
      if (exited) return;
      const killTimer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        await call('stop', undefined, timeoutMs);
      } catch {
        // The child may exit before its reply travels; the exit below is what matters.
      }
      await exitPromise;
      clearTimeout(killTimer);
    },
  };
}

/** Handlers a child offers to the parent; `stop` is added by {@link serveParent}. */
export type ChildHandlers = Record<string, (args: unknown) => Promise<unknown> | unknown>;

/**
 * Child side: runs `start` (which returns the ready info, the handlers and a cleanup), then answers
 * calls until the parent asks it to stop or goes away. Always offers `cpuUsage` and `peakRss`.
 */
export async function serveParent(
  start: () => Promise<{ info: unknown; handlers?: ChildHandlers; stop: () => Promise<void> }>,
): Promise<void> {
  if (!process.send) throw new Error('a bench child must be started by bench/run.ts (no IPC channel)');
  observeGc();
  const send = (message: ChildMessage) => process.send?.(message);
  let started: Awaited<ReturnType<typeof start>>;
  try {
    started = await start();
  } catch (error) {
    console.error(error);
    send({ kind: 'failed', error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await started.stop();
  };
  const handlers: ChildHandlers = {
    cpuUsage: () => cpuSample(),
    peakRss: () => readPeakRss(),
    memory: () => readMemory(),
    ...started.handlers,
  };
  process.on('message', async (raw: CallMessage) => {
    if (raw?.kind !== 'call') return;
    if (raw.method === 'stop') {
      try {
        await stop();
        send({ kind: 'reply', id: raw.id, result: null });
      } catch (error) {
        console.error(error);
        send({ kind: 'reply', id: raw.id, error: String(error) });
      }
      process.disconnect?.();
      process.exit(0);
    }
    const handler = handlers[raw.method];
    if (!handler) {
      send({ kind: 'reply', id: raw.id, error: `unknown method ${raw.method}` });
      return;
    }
    try {
      send({ kind: 'reply', id: raw.id, result: await handler(raw.args) });
    } catch (error) {
      console.error(error);
      send({ kind: 'reply', id: raw.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // The parent dying (Ctrl-C, crash) must not leave a server bound to a port.
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0));
  });
  send({ kind: 'ready', info: started.info });
}

/** This process's CPU time so far. */
export function cpuSample(): CpuSample {
  const usage = process.cpuUsage();
  return {
    user: usage.user,
    system: usage.system,
    wallNs: process.hrtime.bigint().toString(),
    gcMinorMs: gcTotals.minorMs,
    gcMajorMs: gcTotals.majorMs,
  };
}

/** Peak resident set size of this process in bytes (VmHWM from /proc/self/status). */
export async function readPeakRss(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error('VmHWM not found in /proc/self/status');
  return Number(match[1]) * 1024;
}

/** Current and peak RSS (from /proc/self/status) and V8 heap use, in bytes. */
export async function readMemory(): Promise<{ rssBytes: number; peakRssBytes: number; heapUsedBytes: number; heapTotalBytes: number }> {
  const status = await readFile('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  const heap = process.memoryUsage();
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), heapUsedBytes: heap.heapUsed, heapTotalBytes: heap.heapTotal };
}

/** Peak V8 heap figures over a phase, sampled every 100 ms (RSS alone cannot tell retained data from heap slack). */
export function sampleHeap(): { stop(): { peakHeapUsedBytes: number; peakHeapTotalBytes: number } } {
  let peakHeapUsedBytes = 0;
  let peakHeapTotalBytes = 0;
  const sample = () => {
    const heap = process.memoryUsage();
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, heap.heapUsed);
    peakHeapTotalBytes = Math.max(peakHeapTotalBytes, heap.heapTotal);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakHeapUsedBytes, peakHeapTotalBytes };
    },
  };
}

/** CPU µs spent between two samples (user + system). */
export function cpuMicros(before: CpuSample, after: CpuSample): number {
  return after.user - before.user + (after.system - before.system);
}
