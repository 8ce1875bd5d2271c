import type { Logger } from './logger.js';

/** Ordered process shutdown: hooks run in reverse registration order (last started, first stopped). */
export interface Shutdown {
  add(name: string, fn: () => Promise<unknown>): void;
  /** Runs every hook once, each bounded by the timeout; later calls return the same promise. */
  run(): Promise<void>;
  /** Runs the hooks on SIGINT/SIGTERM, then exits (code 0, or 1 if a hook failed or timed out). */
  listen(): void;
}

/**
 * Creates the shutdown sequence of a process. A hook that throws or hangs is logged and the next
 * hook still runs, so one stuck dependency cannot keep a pod from releasing the others.
 */
export function createShutdown(logger: Logger, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Shutdown {
  const hooks: { name: string; fn: () => Promise<unknown> }[] = [];
  let running: Promise<boolean> | undefined;

  async function runHooks(): Promise<boolean> {
    let clean = true;
    for (const { name, fn } of [...hooks].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.resolve().then(fn), timeout]);
        logger.info({ hook: name }, 'stopped');
      } catch (err) {
        clean = false;
        logger.error({ err, hook: name }, 'shutdown hook failed');
      } finally {
        clearTimeout(timer);
      }
    }
    return clean;
  }

  const shutdown: Shutdown = {
    add(name, fn) {
      hooks.push({ name, fn });
    },
    async run() {
      running ??= runHooks();
      await running;
    },
    listen() {
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'shutting down');
        running ??= runHooks();
        void running.then((clean) => process.exit(clean ? 0 : 1));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    },
  };
  return shutdown;
}
