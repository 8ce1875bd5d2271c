import type {
  Branch,
  City,
  Customer,
  District,
  Employee,
  PriceListLine,
  Province,
  Region,
  SalesItem,
  Salesman,
  SubDistrict,
  Warehouse,
} from '@core/contracts/masterdata/v1';
import DataLoader from 'dataloader';
import type { MasterDataClient } from './grpc.js';

/** BatchGet RPCs accept at most this many keys per call. */
const MAX_BATCH_KEYS = 1000;

interface KeyedLoaderSpec<Ref, Item> {
  /** The cache key of a reference; two references to one row with the same key share a slot. */
  keyOf(ref: Ref): string;
  /** Every cache key an item answers to (e.g. `id:7` and `number:C-7`). */
  keysOfItem(item: Item): string[];
  /** One BatchGet for all references of a tick; rows that do not exist are simply absent. */
  fetch(client: MasterDataClient, refs: readonly Ref[]): Promise<Item[]>;
}

/**
 * A per-request DataLoader that turns every reference requested in one tick into one BatchGet call
 * and matches the answers back by key; absent rows resolve to null rather than failing the batch.
 */
function keyedLoader<Ref, Item>(spec: KeyedLoaderSpec<Ref, Item>, client: MasterDataClient): DataLoader<Ref, Item | null, string> {
  return new DataLoader<Ref, Item | null, string>(
    async (refs) => {
      const items = await spec.fetch(client, refs);
      const byKey = new Map<string, Item>();
      for (const item of items) for (const key of spec.keysOfItem(item)) byKey.set(key, item);
      return refs.map((ref) => byKey.get(spec.keyOf(ref)) ?? null);
    },
    { cacheKeyFn: spec.keyOf, maxBatchSize: MAX_BATCH_KEYS },
  );
}

/** A customer by account id or by number. */
export type CustomerRef = { id: number } | { number: string };
/** A branch by organization id or by code. */
export type BranchRef = { id: number } | { code: string };
/** A warehouse by its three-part key. */
export interface WarehouseRef {
  organizationId: number;
  subinventoryCode: string;
  locatorId: number;
}
/** A sales item by item and organization. */
export interface SalesItemRef {
  itemId: number;
  organizationId: number;
}
/** A price list line by list and line. */
export interface PriceListLineRef {
  priceListId: number;
  lineId: number;
}

const byCode = (code: string) => `code:${code}`;

// The loader specs are built once; a request pays only for the loaders its resolvers use.
const CUSTOMERS: KeyedLoaderSpec<CustomerRef, Customer> = {
  keyOf: (ref) => ('id' in ref ? `id:${ref.id}` : `number:${ref.number}`),
  keysOfItem: (c) => [`id:${c.id}`, `number:${c.number}`],
  fetch: async (client, refs) =>
    (await client.batchGetCustomers({
      ids: refs.flatMap((r) => ('id' in r ? [r.id] : [])),
      numbers: refs.flatMap((r) => ('number' in r ? [r.number] : [])),
    })).customers,
};
const BRANCHES: KeyedLoaderSpec<BranchRef, Branch> = {
  keyOf: (ref) => ('id' in ref ? `id:${ref.id}` : byCode(ref.code)),
  keysOfItem: (b) => [`id:${b.id}`, byCode(b.code)],
  fetch: async (client, refs) =>
    (await client.batchGetBranches({
      ids: refs.flatMap((r) => ('id' in r ? [r.id] : [])),
      codes: refs.flatMap((r) => ('code' in r ? [r.code] : [])),
    })).branches,
};
const REGIONS: KeyedLoaderSpec<string, Region> = {
  keyOf: byCode,
  keysOfItem: (r) => [byCode(r.code)],
  fetch: async (client, codes) => (await client.batchGetRegions({ codes: [...codes] })).regions,
};
const EMPLOYEES: KeyedLoaderSpec<string, Employee> = {
  keyOf: (n) => n,
  keysOfItem: (e) => [e.number],
  fetch: async (client, numbers) => (await client.batchGetEmployees({ numbers: [...numbers] })).employees,
};
const WAREHOUSES: KeyedLoaderSpec<WarehouseRef, Warehouse> = {
  keyOf: (k) => `${k.organizationId}|${k.subinventoryCode}|${k.locatorId}`,
  keysOfItem: (w) => [`${w.organizationId}|${w.subinventoryCode}|${w.locatorId}`],
  fetch: async (client, keys) => (await client.batchGetWarehouses({ keys: [...keys] })).warehouses,
};
const SALES_ITEMS: KeyedLoaderSpec<SalesItemRef, SalesItem> = {
  keyOf: (k) => `${k.itemId}|${k.organizationId}`,
  keysOfItem: (s) => [`${s.itemId}|${s.organizationId}`],
  fetch: async (client, keys) => (await client.batchGetSalesItems({ keys: [...keys] })).salesItems,
};
const SALESMEN: KeyedLoaderSpec<string, Salesman> = {
  keyOf: (n) => n,
  keysOfItem: (s) => [s.number],
  fetch: async (client, numbers) => (await client.batchGetSalesmen({ numbers: [...numbers] })).salesmen,
};
const PROVINCES: KeyedLoaderSpec<string, Province> = {
  keyOf: byCode,
  keysOfItem: (p) => [byCode(p.code)],
  fetch: async (client, codes) => (await client.batchGetProvinces({ codes: [...codes] })).provinces,
};
const CITIES: KeyedLoaderSpec<string, City> = {
  keyOf: byCode,
  keysOfItem: (c) => [byCode(c.code)],
  fetch: async (client, codes) => (await client.batchGetCities({ codes: [...codes] })).cities,
};
const DISTRICTS: KeyedLoaderSpec<string, District> = {
  keyOf: byCode,
  keysOfItem: (d) => [byCode(d.code)],
  fetch: async (client, codes) => (await client.batchGetDistricts({ codes: [...codes] })).districts,
};
const SUB_DISTRICTS: KeyedLoaderSpec<string, SubDistrict> = {
  keyOf: byCode,
  keysOfItem: (s) => [byCode(s.code)],
  fetch: async (client, codes) => (await client.batchGetSubDistricts({ codes: [...codes] })).subDistricts,
};
const PRICE_LIST_LINES: KeyedLoaderSpec<PriceListLineRef, PriceListLine> = {
  keyOf: (k) => `${k.priceListId}|${k.lineId}`,
  keysOfItem: (l) => [`${l.priceListId}|${l.lineId}`],
  fetch: async (client, keys) => (await client.batchGetPriceListLines({ keys: [...keys] })).priceListLines,
};

/**
 * The loaders of one GraphQL request, one per core entity, so nothing is cached across callers.
 * Each is made on first use: a query touching one entity builds one DataLoader, not twelve.
 */
export class Loaders {
  readonly #client: MasterDataClient;
  #customers?: DataLoader<CustomerRef, Customer | null, string>;
  #branches?: DataLoader<BranchRef, Branch | null, string>;
  #regions?: DataLoader<string, Region | null, string>;
  #employees?: DataLoader<string, Employee | null, string>;
  #warehouses?: DataLoader<WarehouseRef, Warehouse | null, string>;
  #salesItems?: DataLoader<SalesItemRef, SalesItem | null, string>;
  #salesmen?: DataLoader<string, Salesman | null, string>;
  #provinces?: DataLoader<string, Province | null, string>;
  #cities?: DataLoader<string, City | null, string>;
  #districts?: DataLoader<string, District | null, string>;
  #subDistricts?: DataLoader<string, SubDistrict | null, string>;
  #priceListLines?: DataLoader<PriceListLineRef, PriceListLine | null, string>;

  constructor(client: MasterDataClient) {
    this.#client = client;
  }

  get customers() {
    this.#customers ??= keyedLoader(CUSTOMERS, this.#client);
    return this.#customers;
  }
  get branches() {
    this.#branches ??= keyedLoader(BRANCHES, this.#client);
    return this.#branches;
  }
  get regions() {
    this.#regions ??= keyedLoader(REGIONS, this.#client);
    return this.#regions;
  }
  get employees() {
    this.#employees ??= keyedLoader(EMPLOYEES, this.#client);
    return this.#employees;
  }
  get warehouses() {
    this.#warehouses ??= keyedLoader(WAREHOUSES, this.#client);
    return this.#warehouses;
  }
  get salesItems() {
    this.#salesItems ??= keyedLoader(SALES_ITEMS, this.#client);
    return this.#salesItems;
  }
  get salesmen() {
    this.#salesmen ??= keyedLoader(SALESMEN, this.#client);
    return this.#salesmen;
  }
  get provinces() {
    this.#provinces ??= keyedLoader(PROVINCES, this.#client);
    return this.#provinces;
  }
  get cities() {
    this.#cities ??= keyedLoader(CITIES, this.#client);
    return this.#cities;
  }
  get districts() {
    this.#districts ??= keyedLoader(DISTRICTS, this.#client);
    return this.#districts;
  }
  get subDistricts() {
    this.#subDistricts ??= keyedLoader(SUB_DISTRICTS, this.#client);
    return this.#subDistricts;
  }
  get priceListLines() {
    this.#priceListLines ??= keyedLoader(PRICE_LIST_LINES, this.#client);
    return this.#priceListLines;
  }
}

/** The loaders of one request (see {@link Loaders}). */
export function createLoaders(client: MasterDataClient): Loaders {
  return new Loaders(client);
}
