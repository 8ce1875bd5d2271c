import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { singleFlight, unavailable, plainCounter, type Cache, type CacheEntry, type Logger, type Metrics } from '@core/platform';
import { Counter } from 'prom-client';
import type { EntityDef } from '../domain/catalogue.types.js';
import { decodeRecordKey, encodeRecordKey } from '../domain/record-key.js';
import { nextPageToken, parseKey, parseKeys, parseListQuery, containsPattern, type ListInput } from '../domain/record-query.js';
import { toMirrorRow, upsertOne } from './mirror-writer.js';
import type { MasterDataSource, SourceRow } from './source.js';

/** Column values of a mirrored row by Oracle column name (dates as ISO-8601 text). */
export type RecordData = Record<string, string | number | null>;

/** One mirrored row as reads return it. */
export interface MirrorRecord {
  readonly entity: string;
  /** Key column values in catalogue key order, as text. */
  readonly key: string[];
  readonly data: RecordData;
  /** The source's updated-at value, for entities that have one. */
  readonly updatedAt?: Date;
  /** When the mirror last wrote the row. */
  readonly syncedAt: Date;
}

/** One page of a list. */
export interface RecordPage {
  readonly records: MirrorRecord[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * Reads of the mirror through the hot cache. List and search run on the mirror only; a get by key
 * that the mirror lacks reads the source once (the row may be newer than the last sync).
 */
export interface RecordStore {
  /** One record by key values (catalogue key order); undefined when neither mirror nor source has it. */
  get(entity: EntityDef, key: readonly string[]): Promise<MirrorRecord | undefined>;
  /** The records that exist among `keys`, in request order, duplicates collapsed. */
  batchGet(entity: EntityDef, keys: ReadonlyArray<readonly string[]>): Promise<MirrorRecord[]>;
  /** One page in key order (or updated-at order when `updatedSince` is set). */
  list(entity: EntityDef, input: ListInput): Promise<RecordPage>;
  /**
   * Records whose `column` equals one of `values` (e.g. a customer by CUSTOMER_NUMBER), in record
   * key order. For typed lookups by a code that is not the key; `column` comes from code, never
   * from a request. Which keys a code names is cached like the records (absent codes briefly).
   */
  findByColumn(entity: EntityDef, column: string, values: readonly string[]): Promise<MirrorRecord[]>;
  /**
   * Drops cached entries (found and absent) of the given record keys, and every cached code lookup
   * of the entity (a written row may have gained or lost a code): called after a sync wrote them.
   */
  invalidate(entity: EntityDef, recordKeys: readonly string[]): Promise<void>;
  /** Drops every cached entry of the entity at once, by moving it to a new cache generation. */
  invalidateAll(entity: EntityDef): Promise<void>;
}

/** Dependencies of {@link createRecordStore}. */
export interface RecordStoreOptions {
  orm: MikroORM;
  cache: Cache;
  source: MasterDataSource;
  logger: Logger;
  metrics?: Metrics;
  /** How long "no such record" is remembered; short, so a row created in the source shows up soon. */
  negativeTtlSeconds?: number;
  /** Source reads in flight at once on behalf of read-through (protects Oracle from a burst of misses). */
  readThroughConcurrency?: number;
  /** Read-through lookups one batch get may cause; further misses are reported absent. */
  readThroughPerBatch?: number;
  /**
   * How long a replica reuses the entity's cache generation before asking the cache again. An
   * `invalidateAll` on another replica takes effect here within this time; on this replica at once.
   * 0 when `cache` keeps local copies that replicas evict for each other (createTieredCache): the
   * generation is then read from the local tier, which the bump evicts on every replica.
   */
  generationReuseMs?: number;
  /**
   * Delay of the second eviction `invalidate` makes. A read that missed the cache just before a
   * sync committed can write the old row into the cache just after the sync's eviction; evicting
   * again once such in-flight refills have finished closes that window (otherwise the stale row
   * would live for the entity's whole TTL).
   */
  refillGuardMs?: number;
}

const NEGATIVE = '-';
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;
/** Cached code lookup that found nothing. */
const NO_KEYS = '[]';

interface CachedRecord {
  k: string[];
  d: RecordData;
  u: string | null;
  s: string;
}

/** Which generation counter: of the entity's records, or of its code → key lookups. */
type GenerationKind = 'gen' | 'codes';

/** A row as selected from md_record (drivers differ on returning timestamps as Date or text). */
interface RecordRow {
  record_key: string;
  data: RecordData | string;
  source_updated_at: Date | string | null;
  synced_at: Date | string;
  /** PostgreSQL's own text of source_updated_at: exact keyset cursor (microseconds). */
  updated_cursor: string | null;
}

const SELECT_COLUMNS = 'record_key, data, source_updated_at, synced_at, source_updated_at::text AS updated_cursor';

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

function fromRow(entity: EntityDef, row: RecordRow): MirrorRecord {
  const data = typeof row.data === 'string' ? (JSON.parse(row.data) as RecordData) : row.data;
  return {
    entity: entity.name,
    key: decodeRecordKey(row.record_key),
    data,
    ...(row.source_updated_at !== null ? { updatedAt: toDate(row.source_updated_at) } : {}),
    syncedAt: toDate(row.synced_at),
  };
}

function encodeCached(record: MirrorRecord): string {
  const cached: CachedRecord = {
    k: record.key,
    d: record.data,
    u: record.updatedAt?.toISOString() ?? null,
    s: record.syncedAt.toISOString(),
  };
  return JSON.stringify(cached);
}

function decodeCached(entity: EntityDef, text: string): MirrorRecord {
  const cached = JSON.parse(text) as CachedRecord;
  // Frozen: a cache with an in-process tier hands the same object to every later hit.
  return Object.freeze({
    entity: entity.name,
    key: Object.freeze(cached.k) as string[],
    data: Object.freeze(cached.d),
    ...(cached.u !== null ? { updatedAt: new Date(cached.u) } : {}),
    syncedAt: new Date(cached.s),
  });
}

/** Record keys in a stable order that does not depend on a database collation. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** At most `limit` tasks at once; the rest wait in order. */
function concurrencyLimit(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

function counter<L extends string>(metrics: Metrics | undefined, name: string, help: string, labelNames: L[]) {
  if (!metrics) return undefined;
  const existing = metrics.registry.getSingleMetric(name) as Counter<L> | undefined;
  return existing ?? new Counter<L>({ name, help, labelNames, registers: [metrics.registry] });
}

/**
 * The mirror read path. Cache keys are `md:<entity>:g<generation>:<recordKey>`; the generation of
 * each entity lives in the cache too (`md:<entity>:gen`), so dropping all of an entity's entries is
 * one write, and entries of old generations simply expire.
 */
export function createRecordStore(options: RecordStoreOptions): RecordStore {
  const { orm, cache, source, logger, metrics } = options;
  const negativeTtl = options.negativeTtlSeconds ?? 30;
  const readThroughPerBatch = options.readThroughPerBatch ?? 100;
  const generationReuseMs = options.generationReuseMs ?? 1000;
  const refillGuardMs = options.refillGuardMs ?? 2000;
  const limitSource = concurrencyLimit(options.readThroughConcurrency ?? 4);
  const loads = singleFlight<string, MirrorRecord | undefined>();
  /** By `<entity>:<kind>`. */
  const generations = new Map<string, { value: string; until: number }>();

  // Counted on every read: plain numbers, exposed in prom-client's shape at scrape.
  const lookups = plainCounter(metrics, 'masterdata_cache_lookups_total', 'Record cache lookups by outcome', ['entity', 'result']);
  const readThroughs = counter(metrics, 'masterdata_read_through_total', 'Source reads for records missing from the mirror', [
    'entity',
    'result',
  ]);

  const connection = () => orm.em.getConnection();
  const execute = <T>(sql: string, params: unknown[]) => connection().execute(sql, params, 'all') as Promise<T[]>;

  const generationKey = (entity: EntityDef, kind: GenerationKind = 'gen') => `md:${entity.name}:${kind}`;
  const cacheKey = (entity: EntityDef, generation: string, recordKey: string) =>
    `md:${entity.name}:g${generation}:${recordKey}`;
  /** Under both generations: dropped with the records (invalidateAll) and on any write (invalidate). */
  const codeCacheKey = (entity: EntityDef, generation: string, codes: string, column: string, value: string) =>
    `md:${entity.name}:g${generation}:c${codes}:${column}=${value}`;
  const newGeneration = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

  /** The read path's per-entity constants, made on an entity's first read instead of on every read. */
  interface EntityReads {
    readonly generationKeys: Readonly<Record<GenerationKind, string>>;
    readonly memoKeys: Readonly<Record<GenerationKind, string>>;
    /** Hit counters with their labels bound (a hit is the common case, counted on every call). */
    readonly hits: { inc(): void } | undefined;
    readonly negativeHits: { inc(): void } | undefined;
    /** Turns cached text into a record; one function per entity, so the cache can keep decoded entries. */
    readonly decode: (text: string) => MirrorRecord | null;
  }
  const reads = new Map<string, EntityReads>();
  const readsOf = (entity: EntityDef): EntityReads => {
    let known = reads.get(entity.name);
    if (!known) {
      known = {
        generationKeys: { gen: generationKey(entity, 'gen'), codes: generationKey(entity, 'codes') },
        memoKeys: { gen: `${entity.name}:gen`, codes: `${entity.name}:codes` },
        hits: lookups?.labels(entity.name, 'hit'),
        negativeHits: lookups?.labels(entity.name, 'negative_hit'),
        decode: (text: string) => (text === NEGATIVE ? null : decodeCached(entity, text)),
      };
      reads.set(entity.name, known);
    }
    return known;
  };

  /** `fresh` skips the reuse window: invalidation must hit the generation readers use right now. */
  async function generation(entity: EntityDef, fresh = false, kind: GenerationKind = 'gen'): Promise<string> {
    const entityReads = readsOf(entity);
    const memoKey = entityReads.memoKeys[kind];
    const known = generationReuseMs > 0 ? generations.get(memoKey) : undefined;
    if (!fresh && known && known.until > Date.now()) return known.value;
    let value = await cache.get(entityReads.generationKeys[kind]);
    if (value === undefined) {
      // First use, expiry or an unreachable cache: a fresh generation can never serve stale entries.
      value = newGeneration();
      await cache.set(generationKey(entity, kind), value, GENERATION_TTL_SECONDS);
    }
    if (generationReuseMs > 0) generations.set(memoKey, { value, until: Date.now() + generationReuseMs });
    return value;
  }

  /** Moves the entity's records or code lookups to a new generation, on every replica. */
  async function bumpGeneration(entity: EntityDef, kind: GenerationKind): Promise<void> {
    const value = newGeneration();
    await cache.set(generationKey(entity, kind), value, GENERATION_TTL_SECONDS, { replace: true });
    if (generationReuseMs > 0) generations.set(`${entity.name}:${kind}`, { value, until: Date.now() + generationReuseMs });
  }

  async function selectByKeys(entity: EntityDef, recordKeys: readonly string[]): Promise<MirrorRecord[]> {
    if (recordKeys.length === 0) return [];
    const rows = await execute<RecordRow>(
      `SELECT ${SELECT_COLUMNS} FROM md_record WHERE entity = ? AND record_key IN (?)`,
      [entity.name, recordKeys],
    );
    return rows.map((row) => fromRow(entity, row));
  }

  /** The source's row for a key the mirror lacks, written into the mirror; undefined when absent. */
  async function readThrough(entity: EntityDef, key: string[]): Promise<MirrorRecord | undefined> {
    let row: SourceRow | undefined;
    try {
      row = await limitSource(() => source.getByKey(entity, key));
    } catch (err) {
      readThroughs?.inc({ entity: entity.name, result: 'error' });
      logger.error({ err, entity: entity.name, key }, 'read-through to the source failed');
      throw unavailable('SOURCE_UNAVAILABLE', `the ${entity.name} record is not mirrored yet and the source cannot be read`);
    }
    readThroughs?.inc({ entity: entity.name, result: row ? 'found' : 'absent' });
    if (!row) return undefined;
    // Written exactly as a sync writes it, then read back so the answer is the mirror's row.
    await upsertOne(orm.em.fork(), entity, row);
    // Its codes may be cached as absent.
    await bumpGeneration(entity, 'codes');
    const [record] = await selectByKeys(entity, [toMirrorRow(entity, row).recordKey]);
    return record;
  }

  async function remember(entity: EntityDef, key: string, record: MirrorRecord | undefined): Promise<void> {
    await cache.set(key, record ? encodeCached(record) : NEGATIVE, record ? entity.cacheTtlSeconds : negativeTtl);
  }

  function fromCache(entity: EntityDef, text: string): MirrorRecord | undefined {
    lookups?.inc({ entity: entity.name, result: text === NEGATIVE ? 'negative_hit' : 'hit' });
    return text === NEGATIVE ? undefined : decodeCached(entity, text);
  }

  const store: RecordStore = {
    async get(entity, keyValues) {
      const key = parseKey(entity, keyValues);
      const recordKey = encodeRecordKey(key);
      const ck = cacheKey(entity, await generation(entity), recordKey);
      const entityReads = readsOf(entity);
      const cached = await cache.getDecoded(ck, entityReads.decode);
      if (cached !== undefined) {
        (cached === null ? entityReads.negativeHits : entityReads.hits)?.inc();
        return cached ?? undefined;
      }
      lookups?.inc({ entity: entity.name, result: 'miss' });
      return loads.run(ck, async () => {
        const record = (await selectByKeys(entity, [recordKey]))[0] ?? (await readThrough(entity, key));
        await remember(entity, ck, record);
        return record;
      });
    },

    async batchGet(entity, keyValues) {
      const unique = new Map<string, string[]>();
      for (const key of parseKeys(entity, keyValues)) unique.set(encodeRecordKey(key), key);
      if (unique.size === 0) return [];
      const generationValue = await generation(entity);
      const recordKeys = [...unique.keys()];
      const cacheKeys = recordKeys.map((rk) => cacheKey(entity, generationValue, rk));
      const cached = await cache.getMany(cacheKeys);
      const found = new Map<string, MirrorRecord>();
      const misses: string[] = [];
      recordKeys.forEach((rk, i) => {
        const text = cached[i];
        if (text === undefined) {
          misses.push(rk);
          return;
        }
        const record = fromCache(entity, text);
        if (record) found.set(rk, record);
      });
      if (misses.length > 0) {
        lookups?.inc({ entity: entity.name, result: 'miss' }, misses.length);
        const mirrored = await selectByKeys(entity, misses);
        for (const record of mirrored) found.set(encodeRecordKey(record.key), record);
        const absent = misses.filter((rk) => !found.has(rk));
        const readThroughKeys = absent.slice(0, readThroughPerBatch);
        const fromSource = await Promise.all(
          readThroughKeys.map(async (rk) => {
            try {
              return [rk, await readThrough(entity, unique.get(rk)!)] as const;
            } catch {
              // Logged and counted by readThrough; one unreadable key must not fail the whole batch.
              return [rk, null] as const;
            }
          }),
        );
        const entries = mirrored.map((record) => ({
          key: cacheKey(entity, generationValue, encodeRecordKey(record.key)),
          value: encodeCached(record),
          ttlSeconds: entity.cacheTtlSeconds,
        }));
        for (const [rk, record] of fromSource) {
          if (record === null) continue;
          if (record) found.set(rk, record);
          entries.push({
            key: cacheKey(entity, generationValue, rk),
            value: record ? encodeCached(record) : NEGATIVE,
            ttlSeconds: record ? entity.cacheTtlSeconds : negativeTtl,
          });
        }
        await cache.setMany(entries);
      }
      return recordKeys.flatMap((rk) => found.get(rk) ?? []);
    },

    async list(entity, input) {
      const query = parseListQuery(entity, input);
      const where = ['entity = ?'];
      const params: unknown[] = [entity.name];
      if (query.updatedSince) {
        where.push('source_updated_at >= ?::timestamptz');
        params.push(query.updatedSince.toISOString());
      }
      if (query.search !== undefined) {
        where.push("search_text LIKE ? ESCAPE '\\'");
        params.push(containsPattern(query.search));
      }
      for (const [column, value] of query.filters) {
        where.push('data->>? = ?');
        params.push(column, value);
      }
      if (query.after) {
        if (query.updatedSince) {
          where.push('(source_updated_at, record_key) > (?::timestamptz, ?)');
          params.push(query.after.updatedAt, query.after.recordKey);
        } else {
          where.push('record_key > ?');
          params.push(query.after.recordKey);
        }
      }
      const order = query.updatedSince ? 'source_updated_at, record_key' : 'record_key';
      // One row beyond the page tells whether another page exists, without counting.
      params.push(query.pageSize + 1);
      const rows = await execute<RecordRow>(
        `SELECT ${SELECT_COLUMNS} FROM md_record WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
        params,
      );
      const page = rows.slice(0, query.pageSize);
      const last = page.at(-1);
      const more = rows.length > query.pageSize && last !== undefined;
      return {
        records: page.map((row) => fromRow(entity, row)),
        nextPageToken: more
          ? nextPageToken(query, {
              recordKey: last.record_key,
              ...(query.updatedSince && last.updated_cursor !== null ? { updatedAt: last.updated_cursor } : {}),
            })
          : '',
      };
    },

    async findByColumn(entity, column, codeValues) {
      const values = [...new Set(codeValues)];
      if (values.length === 0) return [];
      const [generationValue, codesGeneration] = await Promise.all([generation(entity), generation(entity, false, 'codes')]);
      const codeKeys = values.map((value) => codeCacheKey(entity, generationValue, codesGeneration, column, value));
      const cachedCodes = await cache.getMany(codeKeys);
      const recordKeys = new Set<string>();
      const unknown: string[] = [];
      values.forEach((value, i) => {
        const text = cachedCodes[i];
        if (text === undefined) unknown.push(value);
        else for (const rk of JSON.parse(text) as string[]) recordKeys.add(rk);
      });
      if (unknown.length < values.length) lookups?.inc({ entity: entity.name, result: 'code_hit' }, values.length - unknown.length);
      const found = new Map<string, MirrorRecord>();
      if (unknown.length > 0) {
        lookups?.inc({ entity: entity.name, result: 'code_miss' }, unknown.length);
        const rows = await execute<RecordRow & { matched_code: string }>(
          `SELECT ${SELECT_COLUMNS}, data->>? AS matched_code FROM md_record WHERE entity = ? AND data->>? IN (?)`,
          [column, entity.name, column, unknown],
        );
        const keysByCode = new Map<string, string[]>(unknown.map((value) => [value, []]));
        const entries: CacheEntry[] = [];
        for (const row of rows) {
          const record = fromRow(entity, row);
          found.set(row.record_key, record);
          keysByCode.get(row.matched_code)?.push(row.record_key);
          entries.push({ key: cacheKey(entity, generationValue, row.record_key), value: encodeCached(record), ttlSeconds: entity.cacheTtlSeconds });
        }
        for (const [value, keys] of keysByCode) {
          entries.push({
            key: codeCacheKey(entity, generationValue, codesGeneration, column, value),
            value: keys.length > 0 ? JSON.stringify(keys) : NO_KEYS,
            ttlSeconds: keys.length > 0 ? entity.cacheTtlSeconds : negativeTtl,
          });
        }
        await cache.setMany(entries);
      }
      const remaining = [...recordKeys].filter((rk) => !found.has(rk));
      // One code naming one record (GetCustomer by number) takes the single-key path, whose hits
      // come decoded from an in-process tier.
      const byKeys =
        remaining.length === 1
          ? [await store.get(entity, decodeRecordKey(remaining[0]!))].filter((record) => record !== undefined)
          : await store.batchGet(entity, remaining.map(decodeRecordKey));
      for (const record of byKeys) found.set(encodeRecordKey(record.key), record);
      return [...found.keys()].sort(compareText).map((rk) => found.get(rk)!);
    },

    async invalidate(entity, recordKeys) {
      if (recordKeys.length === 0) return;
      const generationValue = await generation(entity, true);
      const keys = recordKeys.map((rk) => cacheKey(entity, generationValue, rk));
      await cache.delete(keys);
      await bumpGeneration(entity, 'codes');
      setTimeout(() => {
        cache.delete(keys).catch((err: unknown) => logger.error({ err, entity: entity.name }, 'second cache eviction failed'));
      }, refillGuardMs).unref();
    },

    async invalidateAll(entity) {
      await bumpGeneration(entity, 'gen');
    },
  };
  return store;
}
