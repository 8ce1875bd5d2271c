import type { ServiceContextExt } from '@core/platform';
import { invalidArgument, notFound, reusableResponse, type FieldViolation } from '@core/platform';
import type { MasterDataServiceDefinition } from '@core/contracts/masterdata/v1';
import type { ServiceImplementation } from 'nice-grpc';
import type { MirrorRecord, RecordStore } from '../data/record-store.js';
import { requireEntity } from '../domain/catalogue.js';
import type { EntityDef } from '../domain/catalogue.types.js';
import { encodeRecordKey } from '../domain/record-key.js';
import { canonicalValue, MAX_BATCH_KEYS } from '../domain/record-query.js';
import type { EntitySyncState } from '../domain/sync-run.js';
import {
  toBranch,
  toCity,
  toCustomer,
  toDistrict,
  toEmployee,
  toPriceListLine,
  toProvince,
  toRecordMessage,
  toRegion,
  toSalesItem,
  toSalesman,
  toSubDistrict,
  toWarehouse,
} from './mappers.js';
import { toEntityMessage } from './entity-message.js';

/** Dependencies of {@link createMasterDataHandlers}. */
export interface MasterDataHandlerDeps {
  readonly store: RecordStore;
  /** Every catalogue entity, for ListEntities. */
  readonly catalogue: readonly EntityDef[];
  /** Freshness of one entity (the sync runner's view of `md_sync_state`). */
  /** Freshness of several entities at once (two queries, not one per entity). */
  readonly entityStates: (entities: readonly EntityDef[]) => Promise<EntitySyncState[]>;
}

/**
 * How a typed request names a record: by key values, or by a unique code column that is not the
 * key (a customer by CUSTOMER_NUMBER, a branch by ORGANIZATION_CODE).
 */
type Lookup = { readonly key: readonly string[] } | { readonly column: string; readonly value: string; readonly field: string };

/** The list fields every typed List request shares. */
interface TypedListRequest {
  pageSize: number;
  pageToken: string;
  updatedSince?: Date | undefined;
  query: string;
}

/** One typed entity: which catalogue entry backs it and how a mirrored row becomes its message. */
interface TypedEntity<F extends string, M> {
  readonly def: EntityDef;
  readonly toMessage: (record: MirrorRecord) => M;
  /** The Get response (`{ <field>: message }`) of a record. */
  readonly toResponse: (record: MirrorRecord) => { [K in F]: M };
}

/**
 * A typed entity whose Get response is made once per record object: a Get by key is served from
 * the in-process cache tier, which hands back the same record object on every hit, so a hot
 * record is mapped and its response encoded once ({@link reusableResponse}) until the cache drops
 * it. Batch and list reads decode fresh records, so they map directly (nothing to reuse, and no
 * frozen message ends up inside their responses).
 */
function typed<F extends string, M extends object>(name: string, field: F, map: (record: MirrorRecord) => M): TypedEntity<F, M> {
  const responses = new WeakMap<MirrorRecord, { [K in F]: M }>();
  return {
    // Resolved once at start: a typed RPC whose catalogue entry is missing must fail the start.
    def: requireEntity(name),
    toMessage: map,
    toResponse(record) {
      let response = responses.get(record);
      if (response === undefined) {
        response = reusableResponse({ [field]: map(record) } as { [K in F]: M });
        responses.set(record, response);
      }
      return response;
    },
  };
}

const byKey = (...key: Array<string | number>): Lookup => ({ key: key.map(String) });
const byCode = (column: string, field: string) => (value: string): Lookup => ({ column, value, field });

/** Id (int64, 0 = unset) or code: exactly one must be given. */
function idOrCode(id: number, code: string, idField: string, codeField: string, codeColumn: string): Lookup {
  const hasId = id !== 0;
  const hasCode = code !== '';
  if (hasId === hasCode) {
    const description = hasId ? 'set only one of them' : 'set one of them';
    throw invalidArgument('EXACTLY_ONE_LOOKUP', `set exactly one of ${idField} and ${codeField}`, [
      { field: idField, description },
      { field: codeField, description },
    ]);
  }
  return hasId ? byKey(id) : byCode(codeColumn, codeField)(code);
}

/** A required composite-key message (WarehouseKey, SalesItemKey, PriceListLineKey). */
function required<K>(key: K | undefined, field = 'key'): K {
  if (key === undefined) {
    throw invalidArgument('KEY_REQUIRED', `${field} is required`, [{ field, description: 'required' }]);
  }
  return key;
}

function recordNotFound(def: EntityDef, lookup: Lookup): Error {
  const what = 'key' in lookup ? `${def.key.join(', ')} = ${lookup.key.join(', ')}` : `${lookup.column} = ${lookup.value}`;
  return notFound('RECORD_NOT_FOUND', `no ${def.name} with ${what}`, { entity: def.name });
}

/** Validates code lookup values as values of their column (same rules as keys). */
function parseCodes(def: EntityDef, column: string, values: readonly string[], field: string): string[] {
  const columnDef = def.columns.find((c) => c.name === column) ?? { name: column, type: 'string' as const };
  const violations: FieldViolation[] = [];
  const parsed = values.map((value, i) => {
    const result = value.trim() === '' ? { problem: 'must not be empty' } : canonicalValue(columnDef, value);
    if ('problem' in result) {
      violations.push({ field: `${field}[${i}]`, description: result.problem });
      return '';
    }
    return result.value;
  });
  if (violations.length > 0) throw invalidArgument('INVALID_KEY', `invalid ${field}`, violations);
  return parsed;
}

async function findOne(store: RecordStore, def: EntityDef, lookup: Lookup): Promise<MirrorRecord> {
  const record =
    'key' in lookup
      ? await store.get(def, lookup.key)
      : (await store.findByColumn(def, lookup.column, parseCodes(def, lookup.column, [lookup.value], lookup.field)))[0];
  if (!record) throw recordNotFound(def, lookup);
  return record;
}

/**
 * Typed batch: keys go through the cached batch get, codes through one mirror query per code
 * column. Records found by both are returned once.
 */
async function findMany(
  store: RecordStore,
  def: EntityDef,
  keys: ReadonlyArray<readonly string[]>,
  codes?: { column: string; field: string; values: readonly string[] },
): Promise<MirrorRecord[]> {
  const total = keys.length + (codes?.values.length ?? 0);
  if (total > MAX_BATCH_KEYS) {
    throw invalidArgument('TOO_MANY_KEYS', `at most ${MAX_BATCH_KEYS} keys per batch`, [
      { field: codes ? `keys+${codes.field}` : 'keys', description: `at most ${MAX_BATCH_KEYS}, got ${total}` },
    ]);
  }
  const found = await store.batchGet(def, keys);
  if (!codes || codes.values.length === 0) return found;
  const byCode = await store.findByColumn(def, codes.column, parseCodes(def, codes.column, codes.values, codes.field));
  const seen = new Set(found.map((record) => encodeRecordKey(record.key)));
  return [...found, ...byCode.filter((record) => !seen.has(encodeRecordKey(record.key)))];
}

async function listTyped<F extends string, M>(
  store: RecordStore,
  entity: TypedEntity<F, M>,
  request: TypedListRequest,
  filters: Record<string, string | number | boolean | undefined>,
): Promise<{ items: M[]; nextPageToken: string }> {
  // Proto3 scalars are "unset" at their zero value; only set ones become filters.
  const set: Record<string, string> = {};
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined || value === '' || value === 0 || value === false) continue;
    set[column] = value === true ? 'Y' : String(value);
  }
  const page = await store.list(entity.def, {
    pageSize: request.pageSize,
    pageToken: request.pageToken,
    updatedSince: request.updatedSince,
    query: request.query,
    filters: set,
  });
  return { items: page.records.map(entity.toMessage), nextPageToken: page.nextPageToken };
}

/**
 * MasterDataService: proto ⇄ store mapping only. Generic record RPCs serve every catalogue entity;
 * the typed RPCs are the same reads through one descriptor per entity.
 */
export function createMasterDataHandlers(
  deps: MasterDataHandlerDeps,
): ServiceImplementation<typeof MasterDataServiceDefinition, ServiceContextExt> {
  const { store } = deps;
  const customers = typed('customer', 'customer', toCustomer);
  const branches = typed('branch', 'branch', toBranch);
  const regions = typed('region', 'region', toRegion);
  const employees = typed('employee', 'employee', toEmployee);
  const warehouses = typed('warehouse', 'warehouse', toWarehouse);
  const salesItems = typed('sales-item', 'salesItem', toSalesItem);
  const salesmen = typed('salesman', 'salesman', toSalesman);
  const provinces = typed('province', 'province', toProvince);
  const cities = typed('city', 'city', toCity);
  const districts = typed('district', 'district', toDistrict);
  const subDistricts = typed('sub-district', 'subDistrict', toSubDistrict);
  const priceListLines = typed('price-list', 'priceListLine', toPriceListLine);

  const one = async <F extends string, M>(entity: TypedEntity<F, M>, lookup: Lookup) => entity.toResponse(await findOne(store, entity.def, lookup));
  const many = async <F extends string, M>(
    entity: TypedEntity<F, M>,
    keys: ReadonlyArray<readonly string[]>,
    codes?: { column: string; field: string; values: readonly string[] },
  ) => (await findMany(store, entity.def, keys, codes)).map(entity.toMessage);
  const keysOf = (values: ReadonlyArray<string | number>) => values.map((value) => [String(value)]);

  return {
    async listEntities() {
      const sorted = [...deps.catalogue].sort((a, b) => a.name.localeCompare(b.name));
      const states = await deps.entityStates(sorted);
      return { entities: sorted.map((entity, i) => toEntityMessage(entity, states[i])) };
    },
    async getRecord(request) {
      const def = requireEntity(request.entity);
      const record = await findOne(store, def, { key: request.key });
      return { record: toRecordMessage(record) };
    },
    async batchGetRecords(request) {
      const def = requireEntity(request.entity);
      const records = await findMany(
        store,
        def,
        request.keys.map((key) => key.values),
      );
      return { records: records.map(toRecordMessage) };
    },
    async listRecords(request) {
      const def = requireEntity(request.entity);
      const page = await store.list(def, request);
      return { records: page.records.map(toRecordMessage), nextPageToken: page.nextPageToken };
    },

    async getCustomer(r) {
      return one(customers, idOrCode(r.id, r.number, 'id', 'number', 'CUSTOMER_NUMBER'));
    },
    async batchGetCustomers(r) {
      const codes = { column: 'CUSTOMER_NUMBER', field: 'numbers', values: r.numbers };
      return { customers: await many(customers, keysOf(r.ids), codes) };
    },
    async listCustomers(r) {
      const page = await listTyped(store, customers, r, { ORGANIZATION_CODE: r.branchCode });
      return { customers: page.items, nextPageToken: page.nextPageToken };
    },

    async getBranch(r) {
      return one(branches, idOrCode(r.id, r.code, 'id', 'code', 'ORGANIZATION_CODE'));
    },
    async batchGetBranches(r) {
      const codes = { column: 'ORGANIZATION_CODE', field: 'codes', values: r.codes };
      return { branches: await many(branches, keysOf(r.ids), codes) };
    },
    async listBranches(r) {
      const page = await listTyped(store, branches, r, { REGION_CODE: r.regionCode });
      return { branches: page.items, nextPageToken: page.nextPageToken };
    },

    async getRegion(r) {
      return one(regions, byKey(r.code));
    },
    async batchGetRegions(r) {
      return { regions: await many(regions, keysOf(r.codes)) };
    },
    async listRegions(r) {
      const page = await listTyped(store, regions, r, {});
      return { regions: page.items, nextPageToken: page.nextPageToken };
    },

    async getEmployee(r) {
      return one(employees, byKey(r.number));
    },
    async batchGetEmployees(r) {
      return { employees: await many(employees, keysOf(r.numbers)) };
    },
    async listEmployees(r) {
      const page = await listTyped(store, employees, r, { ORGANIZATION_CODE: r.branchCode, FLAG_SALESMAN: r.salesmenOnly });
      return { employees: page.items, nextPageToken: page.nextPageToken };
    },

    async getWarehouse(r) {
      const key = required(r.key);
      return one(warehouses, byKey(key.organizationId, key.subinventoryCode, key.locatorId));
    },
    async batchGetWarehouses(r) {
      const keys = r.keys.map((k) => [String(k.organizationId), k.subinventoryCode, String(k.locatorId)]);
      return { warehouses: await many(warehouses, keys) };
    },
    async listWarehouses(r) {
      const page = await listTyped(store, warehouses, r, { ORGANIZATION_CODE: r.organizationCode });
      return { warehouses: page.items, nextPageToken: page.nextPageToken };
    },

    async getSalesItem(r) {
      const key = required(r.key);
      return one(salesItems, byKey(key.itemId, key.organizationId));
    },
    async batchGetSalesItems(r) {
      const keys = r.keys.map((k) => [String(k.itemId), String(k.organizationId)]);
      return { salesItems: await many(salesItems, keys) };
    },
    async listSalesItems(r) {
      const page = await listTyped(store, salesItems, r, { ORGANIZATION_CODE: r.organizationCode });
      return { salesItems: page.items, nextPageToken: page.nextPageToken };
    },

    async getSalesman(r) {
      return one(salesmen, byKey(r.number));
    },
    async batchGetSalesmen(r) {
      return { salesmen: await many(salesmen, keysOf(r.numbers)) };
    },
    async listSalesmen(r) {
      const page = await listTyped(store, salesmen, r, { ORGANIZATION_CODE: r.organizationCode });
      return { salesmen: page.items, nextPageToken: page.nextPageToken };
    },

    async getProvince(r) {
      return one(provinces, byKey(r.code));
    },
    async batchGetProvinces(r) {
      return { provinces: await many(provinces, keysOf(r.codes)) };
    },
    async listProvinces(r) {
      const page = await listTyped(store, provinces, r, {});
      return { provinces: page.items, nextPageToken: page.nextPageToken };
    },

    async getCity(r) {
      return one(cities, byKey(r.code));
    },
    async batchGetCities(r) {
      return { cities: await many(cities, keysOf(r.codes)) };
    },
    async listCities(r) {
      const page = await listTyped(store, cities, r, { PROVINSI_CODE: r.provinceCode });
      return { cities: page.items, nextPageToken: page.nextPageToken };
    },

    async getDistrict(r) {
      return one(districts, byKey(r.code));
    },
    async batchGetDistricts(r) {
      return { districts: await many(districts, keysOf(r.codes)) };
    },
    async listDistricts(r) {
      const page = await listTyped(store, districts, r, { KOTAMADYA_CODE: r.cityCode });
      return { districts: page.items, nextPageToken: page.nextPageToken };
    },

    async getSubDistrict(r) {
      return one(subDistricts, byKey(r.code));
    },
    async batchGetSubDistricts(r) {
      return { subDistricts: await many(subDistricts, keysOf(r.codes)) };
    },
    async listSubDistricts(r) {
      const page = await listTyped(store, subDistricts, r, { KECAMATAN_CODE: r.districtCode });
      return { subDistricts: page.items, nextPageToken: page.nextPageToken };
    },

    async getPriceListLine(r) {
      const key = required(r.key);
      return one(priceListLines, byKey(key.priceListId, key.lineId));
    },
    async batchGetPriceListLines(r) {
      const keys = r.keys.map((k) => [String(k.priceListId), String(k.lineId)]);
      return { priceListLines: await many(priceListLines, keys) };
    },
    async listPriceListLines(r) {
      const filters = { PRICE_LIST_ID: r.priceListId, CUSTOMER_NUMBER: r.customerNumber };
      const page = await listTyped(store, priceListLines, r, filters);
      return { priceListLines: page.items, nextPageToken: page.nextPageToken };
    },
  };
}
