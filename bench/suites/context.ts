import type { BenchOptions } from '../lib/options.js';

/** What every benchmark gets from the runner. */
export interface BenchContext {
  readonly options: BenchOptions;
  /** Progress line on the console (the table comes at the end). */
  log(message: string): void;
  /** A fresh, empty PostgreSQL database (dropped when the run ends); returns its URL. */
  freshDatabase(purpose: string): Promise<string>;
  /** A Redis key prefix for this run's cache entries and locks; its keys are deleted when the run ends. */
  redisPrefix(purpose: string): string;
}
