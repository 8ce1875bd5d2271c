import type { Logger } from '@core/platform';
import { invalidArgument, unavailable } from '@core/platform';
import oracledb, { type Connection, type ExecuteOptions, type Metadata, type Pool } from 'oracledb';
import type { EntityDef } from '../../domain/catalogue.types.js';
import type { MasterDataSource, SourceReadOptions, SourceRow, SourceValue } from '../source.js';
import { type BoundStatement, buildGetByKeyQuery, buildPageQuery, SESSION_SETUP_SQL } from './sql.js';

export interface OracleSourceOptions {
  readonly user: string;
  readonly password: string;
  /** Easy Connect string or TNS alias, e.g. `ebs-db.example.co.id:1521/EBSPROD`. */
  readonly connectString: string;
  /**
   * Oracle Instant Client directory. Set ⇒ Thick mode, which Oracle 11g needs (Thin mode talks
   * to 12.1 and later only). Unset ⇒ Thin mode, no client library needed.
   */
  readonly clientLibDir?: string;
  readonly poolMin?: number;
  readonly poolMax?: number;
  /** Rows per network round trip; defaults to the read's batch size. */
  readonly fetchArraySize?: number;
  readonly logger: Logger;
}

/** Thick mode can be entered once per process and never left; remember which directory did it. */
let thickModeLibDir: string | undefined;

function enableThickMode(libDir: string, logger: Logger): void {
  if (thickModeLibDir !== undefined) {
    if (thickModeLibDir !== libDir) {
      logger.warn({ libDir, active: thickModeLibDir }, 'oracle client library already loaded from another directory');
    }
    return;
  }
  oracledb.initOracleClient({ libDir });
  thickModeLibDir = libDir;
}

/** DATE text (session NLS_DATE_FORMAT) → the instant it names in UTC. */
function utcDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}

/**
 * DATE and TIMESTAMP columns are fetched as text and parsed as UTC: node-oracledb would otherwise
 * build the Date in the Node process's local time zone, which differs between machines.
 */
function fetchTypeHandler(metadata: Metadata) {
  if (metadata.dbType === oracledb.DB_TYPE_DATE || metadata.dbType === oracledb.DB_TYPE_TIMESTAMP) {
    return { type: oracledb.STRING, converter: utcDate };
  }
  return undefined;
}

/** Errors that mean "Oracle is not reachable right now" rather than "this statement is wrong". */
const CONNECTIVITY_ERROR = /^(NJS-(500|501|503|510|511|521)|DPI-1080|ORA-(03113|03114|03135|12170|12514|12537|12541|12543|12545|01033|01034|01089))/;

function classify(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  return CONNECTIVITY_ERROR.test(message) ? unavailable('ORACLE_UNAVAILABLE', `Oracle is unavailable: ${message.split('\n')[0]}`) : error;
}

/**
 * The production source: Oracle EBS views through a node-oracledb connection pool, created on
 * first use so a service can start (and serve its mirror) while Oracle is down.
 */
export function createOracleSource(options: OracleSourceOptions): MasterDataSource {
  const { logger } = options;
  let pool: Promise<Pool> | undefined;
  let closed = false;

  const openPool = (): Promise<Pool> => {
    if (closed) return Promise.reject(new Error('oracle source is closed'));
    if (pool === undefined) {
      if (options.clientLibDir !== undefined && options.clientLibDir !== '') enableThickMode(options.clientLibDir, logger);
      pool = oracledb
        .createPool({
          user: options.user,
          password: options.password,
          connectString: options.connectString,
          poolMin: options.poolMin ?? 0,
          poolMax: options.poolMax ?? 4,
          poolIncrement: 1,
          queueTimeout: 60_000,
          sessionCallback: (connection, _tag, done) => {
            connection.execute(SESSION_SETUP_SQL).then(
              () => done(),
              (error: Error) => done(error),
            );
          },
        })
        .then(
          (created) => {
            logger.info({ mode: oracledb.thin ? 'thin' : 'thick', connectString: options.connectString }, 'oracle pool created');
            return created;
          },
          (error: unknown) => {
            // Forget the failed attempt so the next read tries again.
            pool = undefined;
            throw error;
          },
        );
    }
    return pool;
  };

  const withConnection = async <T>(fn: (connection: Connection) => Promise<T>): Promise<T> => {
    let connection: Connection | undefined;
    try {
      connection = await (await openPool()).getConnection();
      return await fn(connection);
    } catch (error) {
      throw classify(error);
    } finally {
      if (connection !== undefined) {
        await connection.close().catch((error: unknown) => logger.warn({ err: error }, 'oracle connection release failed'));
      }
    }
  };

  const query = async (connection: Connection, statement: BoundStatement, fetchArraySize: number): Promise<SourceRow[]> => {
    const executeOptions: ExecuteOptions = {
      outFormat: oracledb.OUT_FORMAT_OBJECT,
      fetchArraySize,
      prefetchRows: fetchArraySize + 1,
      fetchTypeHandler,
    };
    const result = await connection.execute<Record<string, SourceValue>>(statement.sql, statement.binds, executeOptions);
    return result.rows ?? [];
  };

  return {
    kind: 'oracle',

    async *read(entity: EntityDef, { since, batchSize, signal }: SourceReadOptions): AsyncIterable<SourceRow[]> {
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
      const fetchArraySize = Math.min(options.fetchArraySize ?? batchSize, batchSize);
      let after: SourceValue[] | undefined;
      // One statement per page on a fresh pooled connection: nothing is held between pages while the
      // consumer writes the batch, and memory stays at one page whatever the view size.
      for (;;) {
        signal?.throwIfAborted();
        const statement = buildPageQuery(entity, { since, after, limit: batchSize });
        const rows = await withConnection((connection) => query(connection, statement, fetchArraySize));
        if (rows.length === 0) return;
        const last = rows[rows.length - 1] as SourceRow;
        after = entity.key.map((column) => last[column] ?? null);
        if (after.some((value) => value === null)) {
          // A NULL key would make the next page's `>` comparison drop rows silently.
          throw new Error(`oracle ${entity.view}: NULL in key columns ${entity.key.join(', ')} of entity ${entity.name}`);
        }
        yield rows;
        if (rows.length < batchSize) return;
      }
    },

    async getByKey(entity: EntityDef, key: readonly string[]): Promise<SourceRow | undefined> {
      if (key.length !== entity.key.length) {
        throw invalidArgument('INVALID_RECORD_KEY', `entity "${entity.name}" has ${entity.key.length} key column(s), got ${key.length} value(s)`, [
          { field: 'key', description: `expected values for ${entity.key.join(', ')}` },
        ]);
      }
      const statement = buildGetByKeyQuery(entity, key);
      if (statement === undefined) return undefined;
      const rows = await withConnection((connection) => query(connection, statement, 2));
      if (rows.length > 1) logger.warn({ entity: entity.name, key }, 'oracle key matched several rows; using the first');
      return rows[0];
    },

    async close(): Promise<void> {
      closed = true;
      const current = pool;
      pool = undefined;
      if (current === undefined) return;
      const opened = await current.catch(() => undefined);
      await opened?.close(10);
    },
  };
}
