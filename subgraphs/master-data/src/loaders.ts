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
  fetch(refs: readonly Ref[]): Promise<Item[]>;
}

/**
 * A per-request DataLoader that turns every reference requested in one tick into one BatchGet call
 * and matches the answers back by key; absent rows resolve to null rather than failing the batch.
 */
function keyedLoader<Ref, Item>(spec: KeyedLoaderSpec<Ref, Item>): DataLoader<Ref, Item | null, string> {
  const loader: DataLoader<Ref, Item | null, string> = new DataLoader<Ref, Item | null, string>(
    async (refs) => {
      const items = await spec.fetch(refs);
      const byKey = new Map<string, Item>();
      for (const item of items) for (const key of spec.keysOfItem(item)) byKey.set(key, item);
      return refs.map((ref) => byKey.get(spec.keyOf(ref)) ?? null);
    },
    { cacheKeyFn: spec.keyOf, maxBatchSize: MAX_BATCH_KEYS },
  );
  return loader;
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

/** One loader per core entity; created per GraphQL request so nothing is cached across callers. */
export function createLoaders(client: MasterDataClient) {
  const customers = keyedLoader<CustomerRef, Customer>({
    keyOf: (ref) => ('id' in ref ? `id:${ref.id}` : `number:${ref.number}`),
    keysOfItem: (c) => [`id:${c.id}`, `number:${c.number}`],
    fetch: async (refs) =>
      (await client.batchGetCustomers({
        ids: refs.flatMap((r) => ('id' in r ? [r.id] : [])),
        numbers: refs.flatMap((r) => ('number' in r ? [r.number] : [])),
      })).customers,
  });
  const branches = keyedLoader<BranchRef, Branch>({
    keyOf: (ref) => ('id' in ref ? `id:${ref.id}` : byCode(ref.code)),
    keysOfItem: (b) => [`id:${b.id}`, byCode(b.code)],
    fetch: async (refs) =>
      (await client.batchGetBranches({
        ids: refs.flatMap((r) => ('id' in r ? [r.id] : [])),
        codes: refs.flatMap((r) => ('code' in r ? [r.code] : [])),
      })).branches,
  });
  const regions = keyedLoader<string, Region>({
    keyOf: byCode,
    keysOfItem: (r) => [byCode(r.code)],
    fetch: async (codes) => (await client.batchGetRegions({ codes: [...codes] })).regions,
  });
  const employees = keyedLoader<string, Employee>({
    keyOf: (n) => n,
    keysOfItem: (e) => [e.number],
    fetch: async (numbers) => (await client.batchGetEmployees({ numbers: [...numbers] })).employees,
  });
  const warehouses = keyedLoader<WarehouseRef, Warehouse>({
    keyOf: (k) => `${k.organizationId}|${k.subinventoryCode}|${k.locatorId}`,
    keysOfItem: (w) => [`${w.organizationId}|${w.subinventoryCode}|${w.locatorId}`],
    fetch: async (keys) => (await client.batchGetWarehouses({ keys: [...keys] })).warehouses,
  });
  const salesItems = keyedLoader<SalesItemRef, SalesItem>({
    keyOf: (k) => `${k.itemId}|${k.organizationId}`,
    keysOfItem: (s) => [`${s.itemId}|${s.organizationId}`],
    fetch: async (keys) => (await client.batchGetSalesItems({ keys: [...keys] })).salesItems,
  });
  const salesmen = keyedLoader<string, Salesman>({
    keyOf: (n) => n,
    keysOfItem: (s) => [s.number],
    fetch: async (numbers) => (await client.batchGetSalesmen({ numbers: [...numbers] })).salesmen,
  });
  const provinces = keyedLoader<string, Province>({
    keyOf: byCode,
    keysOfItem: (p) => [byCode(p.code)],
    fetch: async (codes) => (await client.batchGetProvinces({ codes: [...codes] })).provinces,
  });
  const cities = keyedLoader<string, City>({
    keyOf: byCode,
    keysOfItem: (c) => [byCode(c.code)],
    fetch: async (codes) => (await client.batchGetCities({ codes: [...codes] })).cities,
  });
  const districts = keyedLoader<string, District>({
    keyOf: byCode,
    keysOfItem: (d) => [byCode(d.code)],
    fetch: async (codes) => (await client.batchGetDistricts({ codes: [...codes] })).districts,
  });
  const subDistricts = keyedLoader<string, SubDistrict>({
    keyOf: byCode,
    keysOfItem: (s) => [byCode(s.code)],
    fetch: async (codes) => (await client.batchGetSubDistricts({ codes: [...codes] })).subDistricts,
  });
  const priceListLines = keyedLoader<PriceListLineRef, PriceListLine>({
    keyOf: (k) => `${k.priceListId}|${k.lineId}`,
    keysOfItem: (l) => [`${l.priceListId}|${l.lineId}`],
    fetch: async (keys) => (await client.batchGetPriceListLines({ keys: [...keys] })).priceListLines,
  });
  return {
    customers,
    branches,
    regions,
    employees,
    warehouses,
    salesItems,
    salesmen,
    provinces,
    cities,
    districts,
    subDistricts,
    priceListLines,
  };
}

/** The per-request loaders of every core entity. */
export type Loaders = ReturnType<typeof createLoaders>;
