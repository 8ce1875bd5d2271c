/**
 * md-sync: the data team's command line for the master-data sync. It talks gRPC to a running
 * master-data service (never to the databases), so it sees exactly what the service sees and its
 * runs take the same locks and land in the same history.
 *
 *   npm run md-sync -- run customer --full
 *   npm run md-sync -- status
 */
import { parseArgs } from 'node:util';
import {
  MasterDataServiceDefinition,
  SyncMode,
  SyncRunStatus,
  SyncTrigger,
  SyncServiceDefinition,
  type Entity,
  type SyncRun,
} from '@core/contracts/masterdata/v1';
import { createGrpcClient, fromGrpcError } from '@core/platform';
import { Metadata } from 'nice-grpc';

const USAGE = `usage: md-sync <command> [options]

commands:
  run <entity> [--full] [--no-wait]   sync one entity now (incremental unless --full); waits for the end
                                      unless --no-wait; exits 1 when the run failed
  runs [--entity <e>] [--limit <n>]   run history, newest first (default 20 runs)
  status [<entity>]                   rows, watermark, lag and last success of every entity (or one)
  invalidate <entity> [<key>…]        drop cached records; composite keys as comma-separated values
                                      in key order; no keys drops the whole entity

options:
  --address <host:port>   service address (default $MASTERDATA_GRPC_ADDRESS or 127.0.0.1:50051)
  --token <jwt>           access token (default $MD_SYNC_TOKEN): any signed-in account reads;
                          run and invalidate need the data-team role (a person's or a service
                          client's token, e.g. from IdentityService.IssueServiceToken)
  --json                  print JSON instead of tables
  --timeout <seconds>     how long \`run\` waits for the end (default 3600)
  -h, --help              this text`;

/** A mistake on the command line: usage is printed, exit code 1. */
class UsageError extends Error {}

type Row = Record<string, string | number>;

function table(rows: Row[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0] as Row);
  const text = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, i) => Math.max(column.length, ...text.map((cells) => (cells[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.toUpperCase())), ...text.map(line)].join('\n');
}

const time = (date: Date | undefined) => (date ? date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function duration(seconds: number): string {
  if (seconds < 0) return 'never';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

const enumName = (name: string, prefix: string) => name.replace(prefix, '').toLowerCase();
const modeName = (mode: SyncMode) => enumName(SyncMode[mode] ?? String(mode), 'SYNC_MODE_');
const statusName = (status: SyncRunStatus) => enumName(SyncRunStatus[status] ?? String(status), 'SYNC_RUN_STATUS_');
const triggerName = (trigger: SyncTrigger) => enumName(SyncTrigger[trigger] ?? String(trigger), 'SYNC_TRIGGER_');

function runRow(run: SyncRun): Row {
  const took =
    run.startTime && run.finishTime ? duration((run.finishTime.getTime() - run.startTime.getTime()) / 1000) : '-';
  return {
    id: run.id,
    entity: run.entity,
    mode: modeName(run.mode),
    trigger: triggerName(run.trigger),
    status: statusName(run.status),
    started: time(run.startTime),
    took,
    read: run.rowsRead,
    upserted: run.rowsUpserted,
    deleted: run.rowsDeleted,
    error: run.error,
  };
}

function runJson(run: SyncRun) {
  return {
    ...run,
    mode: modeName(run.mode),
    trigger: triggerName(run.trigger),
    status: statusName(run.status),
  };
}

function stateRow(entity: Entity): Row {
  const state = entity.state;
  return {
    entity: entity.name,
    rows: state?.rowCount ?? 0,
    watermark: time(state?.watermark),
    lag: duration(state?.lagSeconds ?? -1),
    'last success': time(state?.lastSuccessTime),
    'last full': time(state?.lastFullTime),
    running: state?.running ? 'yes' : '',
  };
}

/** Runs `tasks` at most `limit` at a time, keeping their order. */
async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) results.push(...(await Promise.all(items.slice(i, i + limit).map(task))));
  return results;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
      entity: { type: 'string' },
      limit: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 1 : 0;
  }
  const address = values.address ?? process.env.MASTERDATA_GRPC_ADDRESS ?? '127.0.0.1:50051';
  const print = (json: unknown, text: string) =>
    process.stdout.write(`${values.json ? JSON.stringify(json, null, 2) : text}\n`);
  const positiveInt = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive whole number, got "${raw}"`);
    return value;
  };

  const token = values.token ?? process.env.MD_SYNC_TOKEN;
  if (!token) throw new UsageError('an access token is needed: --token <jwt> or $MD_SYNC_TOKEN');
  const authorization = new Metadata({ authorization: `Bearer ${token}` });
  const clientOptions = { retries: 2, metadata: () => authorization };
  const sync = createGrpcClient(SyncServiceDefinition, address, clientOptions);
  const masterData = createGrpcClient(MasterDataServiceDefinition, address, clientOptions);
  try {
    switch (command) {
      case 'run': {
        const [entity] = args;
        if (!entity || args.length > 1) throw new UsageError('run needs exactly one entity name');
        const wait = !values['no-wait'];
        const timeoutSeconds = positiveInt('timeout', values.timeout, 3600);
        const { run } = await sync.client.triggerSync(
          { entity, mode: values.full ? SyncMode.SYNC_MODE_FULL : SyncMode.SYNC_MODE_INCREMENTAL, wait },
          { deadline: new Date(Date.now() + (wait ? timeoutSeconds * 1000 : 30_000)) },
        );
        if (!run) throw new Error('the service returned no run');
        print(runJson(run), table([runRow(run)]));
        if (run.status === SyncRunStatus.SYNC_RUN_STATUS_FAILED) {
          process.stderr.write(`error: sync of ${run.entity} failed: ${run.error}\n`);
          return 1;
        }
        return 0;
      }
      case 'runs': {
        if (args.length > 0) throw new UsageError('runs takes no positional arguments (use --entity)');
        const limit = positiveInt('limit', values.limit, 20);
        const runs: SyncRun[] = [];
        let pageToken = '';
        do {
          const page = await sync.client.listSyncRuns({
            entity: values.entity ?? '',
            pageSize: Math.min(200, limit - runs.length),
            pageToken,
          });
          runs.push(...page.runs);
          pageToken = page.nextPageToken;
        } while (pageToken !== '' && runs.length < limit);
        print(runs.map(runJson), table(runs.map(runRow)));
        return 0;
      }
      case 'status': {
        if (args.length > 1) throw new UsageError('status takes at most one entity name');
        const names = args.length === 1 ? args : (await masterData.client.listEntities({})).entities.map((e) => e.name);
        const entities = await inBatches(names, 8, async (name) => {
          const { entity } = await sync.client.getEntityState({ entity: name });
          if (!entity) throw new Error(`the service returned no state for ${name}`);
          return entity;
        });
        print(entities, table(entities.map(stateRow)));
        return 0;
      }
      case 'invalidate': {
        const [entity, ...keys] = args;
        if (!entity) throw new UsageError('invalidate needs an entity name');
        const { dropped } = await sync.client.invalidateCache({
          entity,
          keys: keys.map((key) => ({ values: key.split(',') })),
        });
        const text =
          keys.length === 0 ? `dropped every cached record of ${entity}` : `dropped ${dropped} cached record(s) of ${entity}`;
        print({ entity, dropped, all: keys.length === 0 }, text);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    sync.close();
    masterData.close();
  }
}

function report(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
    return 1;
  }
  const domain = fromGrpcError(err);
  if (domain) {
    const details = domain.fieldViolations.map((v) => `\n  ${v.field}: ${v.description}`).join('');
    process.stderr.write(`error: ${domain.code} ${domain.reason}: ${domain.message}${details}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  return 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.exitCode = report(err);
}
