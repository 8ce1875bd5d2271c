/**
 * The part of node-oracledb 26 this adapter uses (the package ships no type declarations).
 * Names and shapes follow the node-oracledb documentation.
 */
declare module 'oracledb' {
  export type BindValue = string | number | Date | null;
  export type BindParameters = Record<string, BindValue>;

  export interface Metadata {
    name: string;
    dbType: DbType;
  }

  export interface DbType {
    readonly num: number;
    readonly name: string;
  }

  export interface FetchTypeResult {
    type?: DbType | number;
    converter?: (value: unknown) => unknown;
  }

  export interface ExecuteOptions {
    outFormat?: number;
    fetchArraySize?: number;
    prefetchRows?: number;
    maxRows?: number;
    fetchTypeHandler?: (metadata: Metadata) => FetchTypeResult | undefined;
  }

  export interface Result<T> {
    rows?: T[];
    rowsAffected?: number;
  }

  export interface Connection {
    execute<T = unknown>(sql: string, binds?: BindParameters, options?: ExecuteOptions): Promise<Result<T>>;
    close(options?: { drop?: boolean }): Promise<void>;
    break(): Promise<void>;
  }

  export interface PoolAttributes {
    user: string;
    password: string;
    connectString: string;
    poolMin?: number;
    poolMax?: number;
    poolIncrement?: number;
    poolTimeout?: number;
    queueTimeout?: number;
    stmtCacheSize?: number;
    sessionCallback?: (connection: Connection, requestedTag: string, callback: (error?: Error) => void) => void;
  }

  export interface Pool {
    getConnection(): Promise<Connection>;
    close(drainTime?: number): Promise<void>;
  }

  export function createPool(attributes: PoolAttributes): Promise<Pool>;
  export function initOracleClient(options?: { libDir?: string }): void;

  export const thin: boolean;
  export const OUT_FORMAT_OBJECT: number;
  export const STRING: DbType;
  export const DB_TYPE_DATE: DbType;
  export const DB_TYPE_TIMESTAMP: DbType;

  const oracledb: {
    createPool: typeof createPool;
    initOracleClient: typeof initOracleClient;
    readonly thin: boolean;
    OUT_FORMAT_OBJECT: number;
    STRING: DbType;
    DB_TYPE_DATE: DbType;
    DB_TYPE_TIMESTAMP: DbType;
  };
  export default oracledb;
}
