import type { CalendarDate, Money } from '@core/contracts/common/v1';
import type {
  Branch,
  City,
  Customer,
  District,
  Employee,
  PriceListLine,
  Province,
  Record as RecordMessage,
  Region,
  SalesItem,
  Salesman,
  SubDistrict,
  Warehouse,
} from '@core/contracts/masterdata/v1';
import type { RecordData, MirrorRecord } from '../data/record-store.js';

/** Business dates are calendar dates in Asia/Jakarta (WIB), whatever the server's zone. */
const jakartaDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Jakarta',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

function text(data: RecordData, column: string): string {
  const value = data[column];
  return value === null || value === undefined ? '' : String(value);
}

/** Integer ids and counts; absent or non-numeric source values become 0 (proto3 "unset"). */
function integer(data: RecordData, column: string): number {
  const value = data[column];
  if (value === null || value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** Oracle amounts may carry fractions; the contract is whole rupiah. */
function money(data: RecordData, column: string): Money | undefined {
  const value = data[column];
  if (value === null || value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? { rupiah: Math.round(n) } : undefined;
}

function instant(data: RecordData, column: string): Date | undefined {
  const value = data[column];
  if (value === null || value === undefined || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The Asia/Jakarta calendar date of a mirrored date value. */
export function calendarDate(data: RecordData, column: string): CalendarDate | undefined {
  const date = instant(data, column);
  if (!date) return undefined;
  const [year, month, day] = jakartaDate.format(date).split('-').map(Number);
  return { year: year!, month: month!, day: day! };
}

/** Oracle Y/N flags. */
function flag(data: RecordData, column: string): boolean {
  return text(data, column).toUpperCase() === 'Y';
}

/** A generic record: every mirrored column as a Struct. */
export function toRecordMessage(record: MirrorRecord): RecordMessage {
  return {
    entity: record.entity,
    key: record.key,
    fields: record.data,
    updateTime: record.updatedAt,
    syncTime: record.syncedAt,
  };
}

export function toCustomer({ data }: MirrorRecord): Customer {
  return {
    id: integer(data, 'CUST_ACCOUNT_ID'),
    number: text(data, 'CUSTOMER_NUMBER'),
    name: text(data, 'CUSTOMER_NAME'),
    address: text(data, 'ADDRESS1'),
    kelurahan: text(data, 'KELURAHAN'),
    kecamatan: text(data, 'KECAMATAN'),
    kabKodya: text(data, 'KAB_KODYA'),
    provinsi: text(data, 'PROVINSI'),
    channel: text(data, 'CHANNEL'),
    siteType: text(data, 'SITE_TYPE'),
    status: text(data, 'STATUS'),
    branchId: integer(data, 'ORGANIZATION_ID'),
    branchCode: text(data, 'ORGANIZATION_CODE'),
    orgId: integer(data, 'ORG_ID'),
    orgName: text(data, 'ORG_NAME'),
    priceListId: integer(data, 'PRICE_LIST_ID'),
    priceListName: text(data, 'PRICE_LIST_NAME'),
    termId: integer(data, 'TERM_ID'),
    termName: text(data, 'TERM_NAME'),
    termDays: integer(data, 'TERM_DAY'),
    creditLimit: money(data, 'OVERALL_CREDIT_LIMIT'),
    transactionCreditLimit: money(data, 'TRX_CREDIT_LIMIT'),
    creditExposure: money(data, 'CREDIT_EXPOSURE'),
    updateTime: instant(data, 'LAST_UPDATE_DATE'),
  };
}

export function toBranch({ data }: MirrorRecord): Branch {
  return {
    id: integer(data, 'ORGANIZATION_ID'),
    code: text(data, 'ORGANIZATION_CODE'),
    name: text(data, 'ORGANIZATION_NAME'),
    orgId: integer(data, 'ORG_ID'),
    orgName: text(data, 'ORG_NAME'),
    organizationType: text(data, 'ORGANIZATION_TYPE'),
    regionCode: text(data, 'REGION_CODE'),
    address: text(data, 'ADDRESS'),
    locationId: integer(data, 'LOCATION_ID'),
    startDate: calendarDate(data, 'START_DATE_ACTIVE'),
    endDate: calendarDate(data, 'END_DATE_ACTIVE'),
  };
}

export function toRegion({ data }: MirrorRecord): Region {
  return {
    code: text(data, 'REGION_CODE'),
    name: text(data, 'REGION_NAME'),
    updateTime: instant(data, 'LAST_UPDATE_DATE'),
  };
}

export function toEmployee({ data }: MirrorRecord): Employee {
  return {
    number: text(data, 'EMPLOYEE_NUMBER'),
    name: text(data, 'EMPLOYEE_NAME'),
    salesman: flag(data, 'FLAG_SALESMAN'),
    salesrepId: integer(data, 'SALESREP_ID'),
    supervisorNumber: text(data, 'SUPERVISOR_NUMBER'),
    branchId: integer(data, 'ORGANIZATION_ID'),
    branchCode: text(data, 'ORGANIZATION_CODE'),
    branchName: text(data, 'ORGANIZATION_NAME'),
    orgId: integer(data, 'ORG_ID'),
    subinventoryCode: text(data, 'SUBINVENTORY_CODE'),
    locatorId: integer(data, 'LOCATOR_ID'),
    effectiveStartDate: calendarDate(data, 'EFFECTIVE_START_DATE'),
    effectiveEndDate: calendarDate(data, 'EFFECTIVE_END_DATE'),
  };
}

export function toWarehouse({ data }: MirrorRecord): Warehouse {
  return {
    organizationId: integer(data, 'ORGANIZATION_ID'),
    subinventoryCode: text(data, 'SUBINVENTORY_CODE'),
    locatorId: integer(data, 'LOCATOR_ID'),
    locatorCode: text(data, 'LOCATOR_CODE'),
    locatorCategory: text(data, 'LOCATOR_CATEGORY'),
    warehouseDms: text(data, 'WAREHOUSE_DMS'),
    organizationCode: text(data, 'ORGANIZATION_CODE'),
    organizationName: text(data, 'ORGANIZATION_NAME'),
    active: flag(data, 'IS_ACTIVE'),
    updateTime: instant(data, 'LAST_UPDATE_DATE'),
  };
}

export function toSalesItem({ data }: MirrorRecord): SalesItem {
  return {
    itemId: integer(data, 'ITEM_ID'),
    organizationId: integer(data, 'ORGANIZATION_ID'),
    code: text(data, 'ITEM_CODE'),
    name: text(data, 'ITEM_NAME'),
    organizationCode: text(data, 'ORGANIZATION_CODE'),
    primaryUom: text(data, 'PRIMARY_UNIT_OF_MEASURE'),
    itemType: text(data, 'ITEM_TYPE'),
    active: flag(data, 'IS_ACTIVE'),
    updateTime: instant(data, 'LAST_UPDATE_DATE'),
  };
}

export function toSalesman({ data }: MirrorRecord): Salesman {
  return {
    number: text(data, 'SALESREP_NUMBER'),
    organizationCode: text(data, 'ORGANIZATION_CODE'),
    updateTime: instant(data, 'LAST_UPDATE_DATE'),
  };
}

export function toProvince({ data }: MirrorRecord): Province {
  return {
    code: text(data, 'PROVINSI_CODE'),
    name: text(data, 'PROVINSI_NAME'),
    enabled: flag(data, 'PROVINSI_ENABLED_FLAG'),
  };
}

export function toCity({ data }: MirrorRecord): City {
  return {
    code: text(data, 'KOTAMADYA_CODE'),
    name: text(data, 'KOTAMADYA'),
    provinceCode: text(data, 'PROVINSI_CODE'),
    enabled: flag(data, 'KOTAMADYA_ENABLED_FLAG'),
  };
}

export function toDistrict({ data }: MirrorRecord): District {
  return {
    code: text(data, 'KECAMATAN_CODE'),
    name: text(data, 'KECAMATAN'),
    cityCode: text(data, 'KOTAMADYA_CODE'),
    enabled: flag(data, 'KECAMATAN_ENABLED_FLAG'),
  };
}

export function toSubDistrict({ data }: MirrorRecord): SubDistrict {
  return {
    code: text(data, 'KELURAHAN_CODE'),
    name: text(data, 'KELURAHAN_NAME'),
    districtCode: text(data, 'KECAMATAN_CODE'),
    enabled: flag(data, 'KELURAHAN_ENABLED_FLAG'),
  };
}

export function toPriceListLine({ data }: MirrorRecord): PriceListLine {
  return {
    priceListId: integer(data, 'PRICE_LIST_ID'),
    lineId: integer(data, 'PRICE_LIST_LINE_ID'),
    priceListName: text(data, 'PRICE_NAME'),
    itemCode: text(data, 'ITEM_CODE'),
    itemDescription: text(data, 'ITEM_DESCRIPTION'),
    uomCode: text(data, 'PRODUCT_UOM_CODE'),
    listPrice: money(data, 'LIST_PRICE'),
    startDate: calendarDate(data, 'START_DATE_ACTIVE'),
    endDate: calendarDate(data, 'END_DATE_ACTIVE'),
    customerId: integer(data, 'CUST_ACCOUNT_ID'),
    customerNumber: text(data, 'CUSTOMER_NUMBER'),
    updateTime: instant(data, 'LAST_UPDATE_DATE'),
  };
}
