import type { MasterDataServiceDefinition, SyncServiceDefinition } from '@core/contracts/masterdata/v1';
import { Access, type AccessTable } from '@core/platform';
import type { ServiceImplementation } from 'nice-grpc';

/** The role that runs and invalidates syncs (DESIGN §4.1: data teams). */
export const DATA_TEAM_ROLE = 'data-team';

/** Master data is readable by anyone signed in: people and service identities alike. */
const read = Access.signedIn;
/** Changing what the mirror holds, or when, is the data team's. */
const dataTeam = Access.roles([DATA_TEAM_ROLE]);

/**
 * The access rule of every MasterDataService RPC. The type demands an entry per RPC, so a new RPC
 * must be declared here before the service compiles; `guardService` also refuses a gap at start.
 */
export const MASTERDATA_ACCESS: AccessTable<ServiceImplementation<typeof MasterDataServiceDefinition>> = {
  listEntities: read,
  getRecord: read,
  batchGetRecords: read,
  listRecords: read,
  getCustomer: read,
  batchGetCustomers: read,
  listCustomers: read,
  getBranch: read,
  batchGetBranches: read,
  listBranches: read,
  getRegion: read,
  batchGetRegions: read,
  listRegions: read,
  getEmployee: read,
  batchGetEmployees: read,
  listEmployees: read,
  getWarehouse: read,
  batchGetWarehouses: read,
  listWarehouses: read,
  getSalesItem: read,
  batchGetSalesItems: read,
  listSalesItems: read,
  getSalesman: read,
  batchGetSalesmen: read,
  listSalesmen: read,
  getProvince: read,
  batchGetProvinces: read,
  listProvinces: read,
  getCity: read,
  batchGetCities: read,
  listCities: read,
  getDistrict: read,
  batchGetDistricts: read,
  listDistricts: read,
  getSubDistrict: read,
  batchGetSubDistricts: read,
  listSubDistricts: read,
  getPriceListLine: read,
  batchGetPriceListLines: read,
  listPriceListLines: read,
};

/** The access rule of every SyncService RPC. */
export const SYNC_ACCESS: AccessTable<ServiceImplementation<typeof SyncServiceDefinition>> = {
  triggerSync: dataTeam,
  invalidateCache: dataTeam,
  getSyncRun: read,
  listSyncRuns: read,
  getEntityState: read,
};
