import { invalidArgument } from '@core/platform';
import type { ColumnDef, ColumnType, EntityDef } from './catalogue.types.js';

/**
 * The master-data catalogue: the 53 read views of the legacy Oracle EBS service
 * (reference/master-data-entities.json), each declared once. Mirror, hot cache, sync, gRPC API and
 * the fixture source all read these entries, so adding an entity is adding one entry here.
 *
 * Choices that differ from the legacy service are deliberate and noted on the entry: keys are the
 * columns that are really unique in the rows (join-built views that fan out get the extra column),
 * and join-built views never expose NULL key columns, because keyset paging cannot compare NULLs.
 */

/** Columns in view order, written as `{ NAME: 'type' }` so an entry reads like the view. */
function columns(shape: Readonly<Record<string, ColumnType>>): ColumnDef[] {
  return Object.entries(shape).map(([name, type]) => ({ name, type }));
}

/**
 * How fresh an entity must be. Stock and open documents change by the minute; reference data by
 * the week. Every cadence ends in a nightly (or more frequent) full reconcile, which is what
 * notices rows the source deleted. Crons are node-cron syntax, evaluated in Asia/Jakarta.
 */
const cadence = {
  /** Stock views have no updated-at column, so every run re-reads them whole. */
  stock: { cacheTtlSeconds: 60, incrementalSchedule: '*/5 * * * *', fullSchedule: '*/15 * * * *' },
  /** Open documents (outstanding invoices, open orders, transactions). */
  transactional: { cacheTtlSeconds: 300, incrementalSchedule: '*/10 * * * *', fullSchedule: '30 0 * * *' },
  /** Customers, price lists and people: edited daily, read on every order. */
  master: { cacheTtlSeconds: 3600, incrementalSchedule: '*/15 * * * *', fullSchedule: '0 1 * * *' },
  /** Setup data (terms, types, methods): edited a few times a month. */
  reference: { cacheTtlSeconds: 21_600, incrementalSchedule: '0 * * * *', fullSchedule: '0 2 * * *' },
  /** Geography, calendars, currencies: edited a few times a year. */
  fixed: { cacheTtlSeconds: 86_400, incrementalSchedule: '0 */6 * * *', fullSchedule: '0 3 * * *' },
} as const;

const CUSTOMER_COLUMNS = {
  ADDRESS1: 'string',
  BILL_TO_LOCATION: 'string',
  BILL_TO_SITE_USE_ID: 'number',
  CHANNEL: 'string',
  CREDIT_CHECKING: 'string',
  CUST_ACCOUNT_ID: 'number',
  CUSTOMER_NAME: 'string',
  CUSTOMER_NUMBER: 'string',
  KAB_KODYA: 'string',
  KECAMATAN: 'string',
  KELURAHAN: 'string',
  LAST_UPDATE_DATE: 'date',
  ORDER_TYPE_ID: 'number',
  ORDER_TYPE_NAME: 'string',
  ORG_ID: 'number',
  CREDIT_EXPOSURE: 'number',
  ORG_NAME: 'string',
  ORGANIZATION_CODE: 'string',
  ORGANIZATION_ID: 'number',
  ORGANIZATION_NAME: 'string',
  OVERALL_CREDIT_LIMIT: 'number',
  PRICE_LIST_ID: 'number',
  PRICE_LIST_NAME: 'string',
  PROVINSI: 'string',
  RETURN_ORDER_TYPE_ID: 'number',
  RETURN_ORDER_TYPE_NAME: 'string',
  SHIP_TO_LOCATION: 'string',
  SHIP_TO_SITE_USE_ID: 'number',
  SITE_TYPE: 'string',
  STATUS: 'string',
  TERM_DAY: 'number',
  TERM_ID: 'number',
  TERM_NAME: 'string',
  TRX_CREDIT_LIMIT: 'number',
} as const satisfies Record<string, ColumnType>;

/** The sub-distributor view is the customer view without exposure and inventory organization. */
const SUB_DISTRIBUTOR_COLUMNS: Record<string, ColumnType> = Object.fromEntries(
  Object.entries(CUSTOMER_COLUMNS).filter(
    ([name]) => !['CREDIT_EXPOSURE', 'ORGANIZATION_CODE', 'ORGANIZATION_ID', 'ORGANIZATION_NAME'].includes(name),
  ),
);

const RECEIPT_METHOD_COLUMNS = {
  RECEIPT_CLASSES: 'string',
  PRINTED_NAME: 'string',
  RECEIPT_METHOD_NAME: 'string',
  RECEIPT_METHOD_ID: 'number',
  BANK_NAME: 'string',
  BANK_BRANCH_NAME: 'string',
  BANK_ACCOUNT_NUMBER: 'string',
  BANK_ACCOUNT_NAME: 'string',
  BANK_ID: 'number',
  BANK_BRANCH_ID: 'number',
  BANK_ACCOUNT_ID: 'number',
  CURRENCY_CODE: 'string',
  START_DATE_ACTIVE: 'date',
  END_DATE_ACTIVE: 'date',
  SALES_FLAG: 'string',
  ORGANIZATION_CODE: 'string',
  ORGANIZATION_NAME: 'string',
  ORG_NAME: 'string',
  ORG_ID: 'number',
  LAST_UPDATE_DATE: 'date',
} as const satisfies Record<string, ColumnType>;

const TERM_COLUMNS = {
  TERM_ID: 'number',
  TERM_NAME: 'string',
  DESCRIPTION: 'string',
  ENABLED_FLAG: 'string',
  START_DATE_ACTIVE: 'date',
  END_DATE_ACTIVE: 'date',
  LAST_UPDATE_DATE: 'date',
  DAY_OF_TERMS: 'number',
} as const satisfies Record<string, ColumnType>;

/** A lookup-style setup view: code, description, enabled flag, active dates. */
const lookupColumns = (codeColumn: string) =>
  columns({
    [codeColumn]: 'string',
    DESCRIPTION: 'string',
    ENABLED_FLAG: 'string',
    START_DATE_ACTIVE: 'date',
    END_DATE_ACTIVE: 'date',
    LAST_UPDATE_DATE: 'date',
  });

const entries: EntityDef[] = [
  // ── customers ──────────────────────────────────────────────────────────────────────────────
  {
    name: 'customer',
    description: 'Customer accounts (outlets, wholesalers) with their ship-to/bill-to site, branch, price list, payment term and credit limits.',
    view: 'APPS.XTD_AR_CUSTOMERS_V',
    key: ['CUST_ACCOUNT_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns(CUSTOMER_COLUMNS),
    search: ['CUSTOMER_NAME', 'CUSTOMER_NUMBER'],
    filters: ['ORGANIZATION_CODE', 'ORGANIZATION_ID', 'ORG_ID', 'CUSTOMER_NUMBER', 'CHANNEL', 'STATUS', 'SITE_TYPE', 'PRICE_LIST_ID', 'TERM_ID'],
    ...cadence.master,
  },
  {
    name: 'ar-customer-sd',
    description: 'Sub-distributor (SD) customer accounts: the customer view variant for accounts that resell to outlets.',
    view: 'APPS.XTD_AR_CUSTOMERS_SD_V',
    key: ['CUST_ACCOUNT_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns(SUB_DISTRIBUTOR_COLUMNS),
    search: ['CUSTOMER_NAME', 'CUSTOMER_NUMBER'],
    filters: ['ORG_ID', 'CUSTOMER_NUMBER', 'CHANNEL', 'STATUS', 'SITE_TYPE', 'PRICE_LIST_ID'],
    ...cadence.master,
  },
  {
    name: 'ar-outstanding',
    description: 'Open AR invoices with their remaining amount, linked to the SFA call plan and document used for collection on outlet visits.',
    view: 'APPS.XTD_AR_OUTSTANDINGS_V',
    key: ['CUSTOMER_TRX_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      CALL_PLAN_NUMBER: 'string',
      SFA_DOCUMENT_NUMBER: 'string',
      TRX_DATE: 'date',
      INVOICE_CURRENCY_CODE: 'string',
      CUSTOMER_NUMBER: 'string',
      CUSTOMER_NAME: 'string',
      SALESREP_NUMBER: 'string',
      SHIP_TO: 'string',
      BILL_TO: 'string',
      AMOUNT: 'number',
      DUE_REMAINING: 'number',
      DUE_DATE: 'date',
      ORACLE_INVOICE_NUMBER: 'string',
      CUST_ACCOUNT_ID: 'number',
      SHIP_TO_SITE_USE_ID: 'number',
      BILL_TO_SITE_USE_ID: 'number',
      CUSTOMER_TRX_ID: 'number',
      LAST_UPDATE_DATE: 'date',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
    }),
    search: ['CUSTOMER_NAME', 'CUSTOMER_NUMBER', 'CALL_PLAN_NUMBER', 'SFA_DOCUMENT_NUMBER', 'ORACLE_INVOICE_NUMBER'],
    filters: ['ORGANIZATION_CODE', 'CUST_ACCOUNT_ID', 'CUSTOMER_NUMBER', 'SALESREP_NUMBER', 'CALL_PLAN_NUMBER'],
    ...cadence.transactional,
  },

  // ── organisation ───────────────────────────────────────────────────────────────────────────
  {
    name: 'branch',
    description: 'Inventory organizations acting as sales branches, with their operating unit, sales region and address.',
    view: 'APPS.XTD_INV_BRANCHES_V',
    key: ['ORGANIZATION_ID'],
    columns: columns({
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
      ORGANIZATION_TYPE: 'string',
      REGION_CODE: 'string',
      ADDRESS: 'string',
      LOCATION_ID: 'number',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
    }),
    search: ['ORGANIZATION_CODE', 'ORGANIZATION_NAME', 'ORG_NAME'],
    filters: ['REGION_CODE', 'ORGANIZATION_CODE', 'ORG_ID', 'ORGANIZATION_TYPE'],
    ...cadence.reference,
  },
  {
    name: 'region',
    description: 'Sales regions that group branches.',
    view: 'APPS.XTD_INV_REGION_V',
    key: ['REGION_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({ REGION_CODE: 'string', REGION_NAME: 'string', LAST_UPDATE_DATE: 'date' }),
    search: ['REGION_CODE', 'REGION_NAME'],
    filters: [],
    ...cadence.reference,
  },
  {
    name: 'ont-branch',
    description: 'Order-management branches: the operating units orders are booked in.',
    view: 'APPS.XTD_ONT_BRANCHES_V',
    key: ['ORG_ID'],
    columns: columns({ ORG_ID: 'number', ORG_CODE: 'string', ORG_NAME: 'string' }),
    search: ['ORG_CODE', 'ORG_NAME'],
    filters: ['ORG_CODE'],
    ...cadence.reference,
  },
  {
    name: 'organization',
    description: 'HR organizations (business group, departments, operating units, branches) with their parent link.',
    view: 'APPS.XTD_HR_ORGANIZATIONS_V',
    key: ['ORGANIZATION_ID'],
    columns: columns({
      ORGANIZATION_ID: 'number',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_TYPE: 'string',
      ENABLED_FLAG: 'string',
      START_DATE: 'date',
      END_DATE: 'date',
      PARENT_ORGANIZATION_ID: 'number',
      LOCATION_CODE: 'string',
      MANAGER_EMPLOYEE_ID: 'string',
    }),
    search: ['ORGANIZATION_CODE', 'ORGANIZATION_NAME', 'LOCATION_CODE'],
    filters: ['ORGANIZATION_TYPE', 'PARENT_ORGANIZATION_ID', 'ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'hr-operating-unit',
    description: 'Operating units with their ledger and legal context, joined to the branch they serve for its code and address.',
    view: 'APPS.XTD_HR_OPERATING_UNITS_V',
    // The branch is matched on both ORG_ID and the branch code inside ORG_CODE ("<company>_<branch>"):
    // the legacy join on ORG_ID alone repeated an operating unit once per branch sharing it.
    fromSql: `SELECT ou.BUSINESS_GROUP_ID, ou.DATE_FROM, ou.DATE_TO, ou.DEFAULT_LEGAL_CONTEXT_ID,
       ou.LOCATION_CODE, ou.LOCATION_DESCRIPTION, ou.NAME, ou.ORG_CODE, ou.ORG_ID, ou.ORG_NAME,
       b.ORGANIZATION_ID, REGEXP_SUBSTR(ou.ORG_CODE, '[^_]+', 1, 2) AS ORGANIZATION_CODE,
       ou.SET_OF_BOOKS_ID, ou.SHORT_CODE, ou.USABLE_FLAG, b.ADDRESS
  FROM APPS.XTD_HR_OPERATING_UNITS_V ou
  LEFT JOIN APPS.XTD_INV_BRANCHES_V b
    ON b.ORG_ID = ou.ORG_ID
   AND b.ORGANIZATION_CODE = REGEXP_SUBSTR(ou.ORG_CODE, '[^_]+', 1, 2)`,
    key: ['ORG_ID', 'ORG_CODE'],
    columns: columns({
      BUSINESS_GROUP_ID: 'number',
      DATE_FROM: 'date',
      DATE_TO: 'date',
      DEFAULT_LEGAL_CONTEXT_ID: 'number',
      LOCATION_CODE: 'string',
      LOCATION_DESCRIPTION: 'string',
      NAME: 'string',
      ORG_CODE: 'string',
      ORG_ID: 'number',
      ORG_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORGANIZATION_CODE: 'string',
      SET_OF_BOOKS_ID: 'number',
      SHORT_CODE: 'string',
      USABLE_FLAG: 'string',
      ADDRESS: 'string',
    }),
    search: ['NAME', 'ORG_CODE', 'ORG_NAME', 'SHORT_CODE', 'ORGANIZATION_CODE'],
    filters: ['ORGANIZATION_CODE', 'BUSINESS_GROUP_ID', 'USABLE_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'position',
    description: 'HR positions (job slots) per organization, with level and group.',
    view: 'APPS.XTD_HR_POSITIONS_V',
    key: ['POSITION_ID', 'POSITION_CODE'],
    columns: columns({
      POSITION_ID: 'number',
      POSITION_CODE: 'string',
      POSITION_NAME: 'string',
      POSITION_TITLE: 'string',
      POSITION_LEVEL: 'string',
      POSITION_GROUP: 'string',
      ORGANIZATION_ID: 'number',
      ENABLED_FLAG: 'string',
      START_DATE: 'date',
      END_DATE: 'date',
      JOB_DESCRIPTION: 'string',
    }),
    search: ['POSITION_CODE', 'POSITION_NAME', 'POSITION_TITLE'],
    filters: ['ORGANIZATION_ID', 'POSITION_LEVEL', 'POSITION_GROUP', 'ENABLED_FLAG'],
    ...cadence.reference,
  },

  // ── people ─────────────────────────────────────────────────────────────────────────────────
  {
    name: 'employee',
    description: 'Employees with their branch, supervisor, salesman flag and sales rep, canvas subinventory/locator and expense-payment vendor.',
    view: 'APPS.XTD_PAPF_EMPLOYEE_V',
    key: ['EMPLOYEE_NUMBER'],
    columns: columns({
      EMPLOYEE_NUMBER: 'string',
      EMPLOYEE_NAME: 'string',
      FLAG_SALESMAN: 'string',
      SALESREP_ID: 'number',
      SALES_CREDIT_TYPE_ID: 'number',
      SUBINVENTORY_CODE: 'string',
      LOCATOR_ID: 'number',
      SUPERVISOR_NUMBER: 'string',
      VENDOR_NAME: 'string',
      VENDOR_NUM: 'string',
      VENDOR_SITE_CODE: 'string',
      VENDOR_ID: 'number',
      VENDOR_SITE_ID: 'number',
      EFFECTIVE_START_DATE: 'date',
      EFFECTIVE_END_DATE: 'date',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
    }),
    search: ['EMPLOYEE_NAME', 'EMPLOYEE_NUMBER'],
    filters: ['ORGANIZATION_CODE', 'FLAG_SALESMAN', 'ORGANIZATION_ID', 'SUPERVISOR_NUMBER', 'SALESREP_ID'],
    ...cadence.master,
  },
  {
    name: 'salesman',
    description: 'Sales representatives by salesrep number and branch.',
    // SELECT * in the legacy code; only these columns are known to exist in the view.
    view: 'APPS.XTD_ONT_SALESREPS_V',
    key: ['SALESREP_NUMBER'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({ SALESREP_NUMBER: 'string', ORGANIZATION_CODE: 'string', LAST_UPDATE_DATE: 'date' }),
    search: ['SALESREP_NUMBER'],
    filters: ['ORGANIZATION_CODE'],
    ...cadence.master,
  },
  {
    name: 'locator-sales',
    description: "Salesman-per-branch lookup used to find a salesman's van (canvas) locator.",
    view: 'XTD_ONT_SALESREPS_V',
    key: ['ORGANIZATION_CODE', 'SALESREP_NUMBER'],
    columns: columns({ ORGANIZATION_CODE: 'string', SALESREP_NUMBER: 'string' }),
    search: ['SALESREP_NUMBER'],
    filters: ['ORGANIZATION_CODE', 'SALESREP_NUMBER'],
    ...cadence.master,
  },
  {
    name: 'user-dms',
    description: 'Oracle EBS users allowed to act from the distributor management system (DMS); their id stamps interface rows.',
    view: 'APPS.XTD_FND_USER_DMS_V',
    key: ['USER_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      USER_NAME: 'string',
      USER_ID: 'number',
      START_DATE: 'date',
      END_DATE: 'date',
      LAST_UPDATE_DATE: 'date',
      DESCRIPTION: 'string',
    }),
    search: ['USER_NAME', 'DESCRIPTION'],
    filters: ['USER_NAME'],
    ...cadence.reference,
  },

  // ── geography ──────────────────────────────────────────────────────────────────────────────
  {
    name: 'province',
    description: 'Provinces (provinsi) of Indonesia.',
    view: 'APPS.XTD_FND_PROVINSI_V',
    key: ['PROVINSI_CODE'],
    // LAST_UPDATE_DATE is not in the legacy DTO but the legacy geotree query reads it from this
    // view; declaring it lets the province sync run incrementally like its child levels.
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      PROVINSI_CODE: 'string',
      PROVINSI_NAME: 'string',
      PROVINSI_ENABLED_FLAG: 'string',
      PROVINSI_START_DATE: 'date',
      PROVINSI_END_DATE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['PROVINSI_CODE', 'PROVINSI_NAME'],
    filters: ['PROVINSI_ENABLED_FLAG'],
    ...cadence.fixed,
  },
  {
    name: 'city',
    description: 'Cities and regencies (kota / kabupaten, "kotamadya") with their province.',
    view: 'APPS.XTD_FND_KOTAMADYA_V',
    key: ['KOTAMADYA_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      KOTAMADYA_CODE: 'string',
      KOTAMADYA: 'string',
      KOTAMADYA_ENABLED_FLAG: 'string',
      PROVINSI_CODE: 'string',
      KOTAMADYA_START_DATE_ACTIVE: 'date',
      KOTAMADYA_END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['KOTAMADYA_CODE', 'KOTAMADYA'],
    filters: ['PROVINSI_CODE', 'KOTAMADYA_ENABLED_FLAG'],
    ...cadence.fixed,
  },
  {
    name: 'district',
    description: 'Districts (kecamatan) with their city.',
    view: 'APPS.XTD_FND_KECAMATAN_V',
    key: ['KECAMATAN_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      KOTAMADYA_CODE: 'string',
      KECAMATAN_CODE: 'string',
      KECAMATAN: 'string',
      KECAMATAN_ENABLED_FLAG: 'string',
      KECAMATAN_START_DATE_ACTIVE: 'date',
      KECAMATAN_END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['KECAMATAN_CODE', 'KECAMATAN'],
    filters: ['KOTAMADYA_CODE', 'KECAMATAN_ENABLED_FLAG'],
    ...cadence.fixed,
  },
  {
    name: 'sub-district',
    description: 'Sub-districts (kelurahan / desa) with their district.',
    view: 'APPS.XTD_FND_KELURAHAN_V',
    key: ['KELURAHAN_CODE'],
    // As for province: read by the legacy geotree query, absent from the legacy DTO.
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      KECAMATAN_CODE: 'string',
      KELURAHAN_CODE: 'string',
      KELURAHAN_NAME: 'string',
      KELURAHAN_ENABLED_FLAG: 'string',
      KELURAHAN_START_DATE: 'date',
      KELURAHAN_END_DATE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['KELURAHAN_CODE', 'KELURAHAN_NAME'],
    filters: ['KECAMATAN_CODE', 'KELURAHAN_ENABLED_FLAG'],
    ...cadence.fixed,
  },
  {
    name: 'geotree',
    description: 'Flattened address hierarchy: province > city/regency > district > sub-district, enabled levels only.',
    view: 'APPS.XTD_FND_KELURAHAN_V',
    // Inner joins: a geotree row is a full path to a kelurahan. The legacy LEFT JOINs also produced
    // partial paths whose NULL codes keyset paging cannot order; those levels have their own entities.
    fromSql: `SELECT a.PROVINSI_CODE, a.PROVINSI, b.KOTAMADYA_CODE, b.KOTAMADYA,
       c.KECAMATAN_CODE, c.KECAMATAN, d.KELURAHAN_CODE, d.KELURAHAN,
       GREATEST(NVL(a.LAST_UPDATE_DATE, DATE '1900-01-01'), NVL(b.LAST_UPDATE_DATE, DATE '1900-01-01'),
                NVL(c.LAST_UPDATE_DATE, DATE '1900-01-01'), NVL(d.LAST_UPDATE_DATE, DATE '1900-01-01')) AS LAST_UPDATE_DATE
  FROM APPS.XTD_FND_PROVINSI_V a
  JOIN APPS.XTD_FND_KOTAMADYA_V b ON b.PROVINSI_CODE = a.PROVINSI_CODE AND b.KOTAMADYA_ENABLED_FLAG = 'Y'
  JOIN APPS.XTD_FND_KECAMATAN_V c ON c.KOTAMADYA_CODE = b.KOTAMADYA_CODE AND c.KECAMATAN_ENABLED_FLAG = 'Y'
  JOIN APPS.XTD_FND_KELURAHAN_V d ON d.KECAMATAN_CODE = c.KECAMATAN_CODE AND d.KELURAHAN_ENABLED_FLAG = 'Y'
 WHERE a.PROVINSI_ENABLED_FLAG = 'Y'`,
    key: ['PROVINSI_CODE', 'KOTAMADYA_CODE', 'KECAMATAN_CODE', 'KELURAHAN_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      PROVINSI_CODE: 'string',
      PROVINSI: 'string',
      KOTAMADYA_CODE: 'string',
      KOTAMADYA: 'string',
      KECAMATAN_CODE: 'string',
      KECAMATAN: 'string',
      KELURAHAN_CODE: 'string',
      KELURAHAN: 'string',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['PROVINSI', 'KOTAMADYA', 'KECAMATAN', 'KELURAHAN', 'KELURAHAN_CODE'],
    filters: ['PROVINSI_CODE', 'KOTAMADYA_CODE', 'KECAMATAN_CODE'],
    ...cadence.fixed,
  },

  // ── items and prices ───────────────────────────────────────────────────────────────────────
  {
    name: 'sales-item',
    description: 'Sellable items per branch organization with primary unit of measure and item type.',
    view: 'APPS.XTD_INV_SALES_ITEMS_V',
    key: ['ITEM_ID', 'ORGANIZATION_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      ITEM_ID: 'number',
      ITEM_CODE: 'string',
      ITEM_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORGANIZATION_CODE: 'string',
      PRIMARY_UNIT_OF_MEASURE: 'string',
      ITEM_TYPE: 'string',
      PLANNING_MAKE_BUY_CODE: 'string',
      IS_ACTIVE: 'string',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['ITEM_CODE', 'ITEM_NAME'],
    filters: ['ORGANIZATION_CODE', 'ORGANIZATION_ID', 'ITEM_CODE', 'ITEM_TYPE', 'IS_ACTIVE'],
    ...cadence.master,
  },
  {
    name: 'item-list',
    description: 'Active items per branch with principal category, cross-reference code, sort order and carton/bale/pres/pack/stick conversion factors.',
    view: 'APPS.XTD_INV_SALES_ITEMS_V',
    // One row per cross-reference code and branch. URUT is the numeric sort order kept in the
    // cross reference's ATTRIBUTE7; the conversion factors are the cigarette packaging steps
    // DUS→BAL→PRS→BKS→BTG, rounded to 6 decimals as the legacy service did.
    fromSql: `SELECT mcr.CROSS_REFERENCE AS ITEM_CODE, si.ITEM_NUMBER, si.ITEM_DESCRIPTION,
       si.INVENTORY_ITEM_ID, si.ORGANIZATION_CODE, mic.SEGMENT1 AS PRINCIPLE,
       msib.INVENTORY_ITEM_STATUS_CODE AS STATUS_CODE,
       CASE WHEN REGEXP_LIKE(mcr.ATTRIBUTE7, '^[0-9]+$') THEN TO_NUMBER(mcr.ATTRIBUTE7) END AS URUT,
       ROUND(INV_CONVERT.INV_UM_CONVERT(si.INVENTORY_ITEM_ID, 'DUS', 'BAL'), 6) AS DUS_BAL,
       ROUND(INV_CONVERT.INV_UM_CONVERT(si.INVENTORY_ITEM_ID, 'BAL', 'PRS'), 6) AS BAL_PRS,
       ROUND(INV_CONVERT.INV_UM_CONVERT(si.INVENTORY_ITEM_ID, 'PRS', 'BKS'), 6) AS PRS_BKS,
       ROUND(INV_CONVERT.INV_UM_CONVERT(si.INVENTORY_ITEM_ID, 'BKS', 'BTG'), 6) AS BKS_BTG
  FROM APPS.XTD_INV_SALES_ITEMS_V si
  JOIN APPS.MTL_CROSS_REFERENCES_V mcr ON mcr.INVENTORY_ITEM_ID = si.INVENTORY_ITEM_ID
  JOIN APPS.MTL_SYSTEM_ITEMS_B msib
    ON msib.INVENTORY_ITEM_ID = si.INVENTORY_ITEM_ID AND msib.ORGANIZATION_ID = si.ORGANIZATION_ID
  LEFT JOIN APPS.MTL_ITEM_CATEGORIES_V mic
    ON mic.INVENTORY_ITEM_ID = si.INVENTORY_ITEM_ID AND mic.ORGANIZATION_ID = si.ORGANIZATION_ID
   AND mic.CATEGORY_SET_NAME = 'Principal Category'
 WHERE msib.INVENTORY_ITEM_STATUS_CODE = 'Active'`,
    key: ['ITEM_CODE', 'ORGANIZATION_CODE'],
    columns: columns({
      ITEM_CODE: 'string',
      ITEM_NUMBER: 'string',
      ITEM_DESCRIPTION: 'string',
      INVENTORY_ITEM_ID: 'number',
      ORGANIZATION_CODE: 'string',
      PRINCIPLE: 'string',
      STATUS_CODE: 'string',
      URUT: 'number',
      DUS_BAL: 'number',
      BAL_PRS: 'number',
      PRS_BKS: 'number',
      BKS_BTG: 'number',
    }),
    search: ['ITEM_CODE', 'ITEM_NUMBER', 'ITEM_DESCRIPTION'],
    filters: ['ORGANIZATION_CODE', 'INVENTORY_ITEM_ID', 'PRINCIPLE'],
    ...cadence.master,
  },
  {
    name: 'sales-item-conversion',
    description: 'Unit-of-measure conversions per item: rate from each source UOM to the base UOM.',
    view: 'APPS.XTD_INV_SALES_ITEM_CONVERSIONS_V',
    key: ['INVENTORY_ITEM_ID', 'SOURCE_UOM_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      ITEM_CODE: 'string',
      ITEM_NUMBER: 'string',
      ITEM_DESCRIPTION: 'string',
      INVENTORY_ITEM_ID: 'number',
      SOURCE_UOM_CODE: 'string',
      SOURCE_UOM: 'string',
      BASE_UOM_CODE: 'string',
      BASE_UOM: 'string',
      CONVERSION_RATE: 'number',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['ITEM_CODE', 'ITEM_NUMBER', 'ITEM_DESCRIPTION'],
    filters: ['ITEM_CODE', 'INVENTORY_ITEM_ID', 'SOURCE_UOM_CODE', 'BASE_UOM_CODE'],
    ...cadence.reference,
  },
  {
    name: 'uom',
    description: 'Units of measure of cigarette items (DUS carton, BAL bale, PRS pres, BKS pack, BTG stick).',
    view: 'XTD_INV_ITEM_UOM_ROKOK_V',
    key: ['UOM_CODE'],
    columns: columns({ UNIT_OF_MEASURE: 'string', UOM_CODE: 'string' }),
    search: ['UOM_CODE', 'UNIT_OF_MEASURE'],
    filters: [],
    ...cadence.fixed,
  },
  {
    name: 'price-list',
    description: 'Price list lines (item, UOM, list price, validity) denormalised with the customer and site they apply to.',
    view: 'XTD_ONT_PRICE_LISTS_V',
    key: ['PRICE_LIST_ID', 'PRICE_LIST_LINE_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      PRICE_NAME: 'string',
      ITEM_CODE: 'string',
      ITEM_DESCRIPTION: 'string',
      PRODUCT_UOM_CODE: 'string',
      LIST_PRICE: 'number',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      PRICE_LIST_ID: 'number',
      PRICE_LIST_LINE_ID: 'number',
      CUSTOMER_NAME: 'string',
      CUSTOMER_NUMBER: 'string',
      LAST_UPDATE_DATE: 'date',
      SITE_USE_CODE: 'string',
      LOCATION: 'string',
      CUST_ACCOUNT_ID: 'number',
      SITE_USE_ID: 'number',
    }),
    search: ['PRICE_NAME', 'ITEM_CODE', 'ITEM_DESCRIPTION', 'CUSTOMER_NAME', 'CUSTOMER_NUMBER'],
    filters: ['PRICE_LIST_ID', 'CUSTOMER_NUMBER', 'CUST_ACCOUNT_ID', 'ITEM_CODE'],
    ...cadence.master,
  },
  {
    name: 'truck-util',
    description: 'Truck types used for delivery-capacity (truck utilisation) planning.',
    view: 'XTD_INV_UTIL_TRUCK_V',
    key: ['ITEM'],
    columns: columns({ ITEM: 'string', ITEM_DESCRIPTION: 'string' }),
    search: ['ITEM', 'ITEM_DESCRIPTION'],
    filters: [],
    ...cadence.fixed,
  },

  // ── warehouses and stock ───────────────────────────────────────────────────────────────────
  {
    name: 'warehouse',
    description: 'Subinventory locators of each branch (main warehouse, canvas vans, bad stock, discrepancy) with their DMS warehouse type.',
    view: 'APPS.XTD_INV_WAREHOUSES_V',
    key: ['ORGANIZATION_ID', 'SUBINVENTORY_CODE', 'LOCATOR_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      SUBINVENTORY_CODE: 'string',
      LOCATOR_CODE: 'string',
      LOCATOR_ID: 'number',
      LOCATOR_CATEGORY: 'string',
      WAREHOUSE_DMS: 'string',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
      IS_ACTIVE: 'string',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['SUBINVENTORY_CODE', 'LOCATOR_CODE', 'ORGANIZATION_CODE', 'ORGANIZATION_NAME'],
    filters: ['ORGANIZATION_CODE', 'ORGANIZATION_ID', 'SUBINVENTORY_CODE', 'WAREHOUSE_DMS', 'IS_ACTIVE'],
    ...cadence.reference,
  },
  {
    name: 'inv-locator',
    description: 'Subinventories and their stock locators per inventory organization, with the locator control type.',
    view: 'APPS.MTL_SECONDARY_INVENTORIES',
    // A subinventory without locators still yields one row, with LOCATOR_ID 0 rather than NULL so
    // the key stays comparable for keyset paging.
    fromSql: `SELECT msi.ORGANIZATION_ID, haou.NAME, mp.ORGANIZATION_CODE AS ORG_CODE,
       haou.NAME AS ORGANIZATION_NAME, msi.SECONDARY_INVENTORY_NAME AS SUBINVENTORY,
       msi.DESCRIPTION AS SUBINVENTORY_DESCRIPTION, NVL(mil.INVENTORY_LOCATION_ID, 0) AS LOCATOR_ID,
       mil.SEGMENT1 AS LOCATOR, mil.DESCRIPTION AS LOCATOR_DESCRIPTION,
       DECODE(msi.LOCATOR_TYPE, 1, 'None', 2, 'Prespecified', 3, 'Dynamic', 4, 'Item Level',
              5, 'Subinventory Level') AS LOCATOR_CONTROL_TYPE
  FROM APPS.MTL_SECONDARY_INVENTORIES msi
  JOIN APPS.MTL_PARAMETERS mp ON mp.ORGANIZATION_ID = msi.ORGANIZATION_ID
  JOIN APPS.HR_ALL_ORGANIZATION_UNITS haou ON haou.ORGANIZATION_ID = msi.ORGANIZATION_ID
  LEFT JOIN APPS.MTL_ITEM_LOCATIONS mil
    ON mil.ORGANIZATION_ID = msi.ORGANIZATION_ID AND mil.SUBINVENTORY_CODE = msi.SECONDARY_INVENTORY_NAME`,
    key: ['ORGANIZATION_ID', 'SUBINVENTORY', 'LOCATOR_ID'],
    columns: columns({
      ORGANIZATION_ID: 'number',
      NAME: 'string',
      ORG_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      SUBINVENTORY: 'string',
      SUBINVENTORY_DESCRIPTION: 'string',
      LOCATOR_ID: 'number',
      LOCATOR: 'string',
      LOCATOR_DESCRIPTION: 'string',
      LOCATOR_CONTROL_TYPE: 'string',
    }),
    search: ['SUBINVENTORY', 'LOCATOR', 'LOCATOR_DESCRIPTION', 'ORG_CODE'],
    filters: ['ORG_CODE', 'ORGANIZATION_ID', 'SUBINVENTORY'],
    ...cadence.reference,
  },
  {
    name: 'inv-on-hand-qty',
    description: 'On-hand quantity per branch, subinventory and item, with the quantity converted to each of the item\'s units.',
    view: 'XTD_INV_ON_HAND_QTY_V',
    // One row per conversion unit, so the unit is part of the key; an item without conversions
    // keeps one row in its own unit.
    fromSql: `SELECT a.ORGANIZATION_CODE, a.SUBINVENTORY_CODE, a.ITEM_CODE, a.QUANTITY, a.UOM,
       NVL(ROUND(a.QUANTITY / b.CONVERSION_RATE, 2), a.QUANTITY) AS CONVERTED_QUANTITY,
       NVL(b.SOURCE_UOM_CODE, a.UOM) AS SOURCE_UOM_CODE
  FROM XTD_INV_ON_HAND_QTY_V a
  LEFT JOIN APPS.XTD_INV_SALES_ITEM_CONVERSIONS_V b ON b.ITEM_CODE = a.ITEM_CODE
 WHERE a.ITEM_CODE IS NOT NULL`,
    key: ['ORGANIZATION_CODE', 'SUBINVENTORY_CODE', 'ITEM_CODE', 'SOURCE_UOM_CODE'],
    columns: columns({
      ORGANIZATION_CODE: 'string',
      SUBINVENTORY_CODE: 'string',
      ITEM_CODE: 'string',
      QUANTITY: 'number',
      UOM: 'string',
      CONVERTED_QUANTITY: 'number',
      SOURCE_UOM_CODE: 'string',
    }),
    search: ['ITEM_CODE', 'SUBINVENTORY_CODE'],
    filters: ['ORGANIZATION_CODE', 'SUBINVENTORY_CODE', 'ITEM_CODE', 'SOURCE_UOM_CODE'],
    ...cadence.stock,
  },
  {
    name: 'inv-on-hand-qty-with-atr',
    description: 'On-hand rows that also carry available-to-reserve quantities, per branch, subinventory and item.',
    // SELECT * in the legacy code; only the key columns are known to exist in the view.
    view: 'XTD_INV_ON_HAND_QTY_WITH_ATR_V',
    fromSql: `SELECT ORGANIZATION_CODE, SUBINVENTORY_CODE, ITEM_CODE
  FROM XTD_INV_ON_HAND_QTY_WITH_ATR_V
 WHERE ITEM_CODE IS NOT NULL`,
    key: ['ORGANIZATION_CODE', 'SUBINVENTORY_CODE', 'ITEM_CODE'],
    columns: columns({ ORGANIZATION_CODE: 'string', SUBINVENTORY_CODE: 'string', ITEM_CODE: 'string' }),
    search: ['ITEM_CODE', 'SUBINVENTORY_CODE'],
    filters: ['ORGANIZATION_CODE', 'SUBINVENTORY_CODE', 'ITEM_CODE'],
    ...cadence.stock,
  },
  {
    name: 'on-hand-mapping-detail',
    description: 'Receipt lots explaining on-hand stock in a subinventory (e.g. SELISIH, the discrepancy store), with the organization each lot came from.',
    view: 'APPS.MTL_ONHAND_QUANTITIES_DETAIL',
    // Grouped per receipt transaction so a lot split over locators is one row.
    fromSql: `SELECT br.ORGANIZATION_CODE, br.ORGANIZATION_NAME, src.ORGANIZATION_CODE AS FROM_ORGANIZATION_CODE,
       msib.SEGMENT1 AS ITEM_CODE, msib.DESCRIPTION AS ITEM_DESC, ohd.ORGANIZATION_ID,
       ohd.INVENTORY_ITEM_ID, ohd.SUBINVENTORY_CODE, MIN(ohd.DATE_RECEIVED) AS DATE_RECEIVED,
       ohd.CREATE_TRANSACTION_ID
  FROM APPS.MTL_ONHAND_QUANTITIES_DETAIL ohd
  JOIN APPS.XTD_ONT_BRANCHES_V br ON br.ORGANIZATION_ID = ohd.ORGANIZATION_ID
  JOIN APPS.MTL_SYSTEM_ITEMS_B msib
    ON msib.INVENTORY_ITEM_ID = ohd.INVENTORY_ITEM_ID AND msib.ORGANIZATION_ID = ohd.ORGANIZATION_ID
  LEFT JOIN APPS.MTL_MATERIAL_TRANSACTIONS mmt ON mmt.TRANSACTION_ID = ohd.CREATE_TRANSACTION_ID
  LEFT JOIN APPS.XTD_ONT_BRANCHES_V src ON src.ORGANIZATION_ID = mmt.TRANSFER_ORGANIZATION_ID
 WHERE ohd.CREATE_TRANSACTION_ID IS NOT NULL
 GROUP BY br.ORGANIZATION_CODE, br.ORGANIZATION_NAME, src.ORGANIZATION_CODE, msib.SEGMENT1, msib.DESCRIPTION,
          ohd.ORGANIZATION_ID, ohd.INVENTORY_ITEM_ID, ohd.SUBINVENTORY_CODE, ohd.CREATE_TRANSACTION_ID`,
    key: ['ORGANIZATION_CODE', 'SUBINVENTORY_CODE', 'ITEM_CODE', 'CREATE_TRANSACTION_ID'],
    columns: columns({
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      FROM_ORGANIZATION_CODE: 'string',
      ITEM_CODE: 'string',
      ITEM_DESC: 'string',
      ORGANIZATION_ID: 'number',
      INVENTORY_ITEM_ID: 'number',
      SUBINVENTORY_CODE: 'string',
      DATE_RECEIVED: 'date',
      CREATE_TRANSACTION_ID: 'number',
    }),
    search: ['ITEM_CODE', 'ITEM_DESC'],
    filters: ['ORGANIZATION_CODE', 'SUBINVENTORY_CODE', 'ITEM_CODE', 'FROM_ORGANIZATION_CODE'],
    ...cadence.stock,
  },
  {
    name: 'sales-order-stock',
    description: 'Stock loaded for a canvas trip (FPPR) per item, subinventory and locator.',
    view: 'APPS.XTD_ONT_SALES_ORDER_STOCK_V',
    key: ['LINE_ID'],
    columns: columns({
      LINE_ID: 'number',
      FPPR_NUMBER: 'string',
      ITEM_CODE: 'string',
      ITEM_NUMBER: 'string',
      ITEM_DESCRIPTION: 'string',
      ORGANIZATION_ID: 'number',
      ORGANIZATION_CODE: 'string',
      ITEM: 'string',
      SUBINVENTORY: 'string',
      LOCATOR: 'string',
      UOM: 'string',
      QUANTITY: 'number',
    }),
    search: ['FPPR_NUMBER', 'ITEM_CODE', 'ITEM_DESCRIPTION'],
    filters: ['FPPR_NUMBER', 'ORGANIZATION_CODE', 'ITEM_CODE', 'SUBINVENTORY'],
    ...cadence.stock,
  },
  {
    name: 'mtl-trx-list',
    description: 'Material transactions (issues, receipts, transfers, canvas loads) with item, subinventory, locator and quantity.',
    view: 'APPS.XTD_INV_MTL_TRX_LISTS_V',
    key: ['TRANSACTION_ID'],
    // Transactions are inserted, not edited, so the transaction date is their updated-at.
    updatedAt: 'TRANSACTION_DATE',
    columns: columns({
      TRANSACTION_ID: 'number',
      TRANSACTION_TYPE_NAME: 'string',
      FPPR_NUMBER: 'string',
      REFERENCE_NUMBER: 'string',
      ITEM_CODE: 'string',
      ITEM_NUMBER: 'string',
      ITEM_DESCRIPTION: 'string',
      ORGANIZATION_ID: 'number',
      ORGANIZATION_CODE: 'string',
      ITEM: 'string',
      SUBINVENTORY: 'string',
      LOCATOR: 'string',
      TRANSACTION_DATE: 'date',
      UOM: 'string',
      QUANTITY: 'number',
      TRANSACT_BY: 'string',
    }),
    search: ['FPPR_NUMBER', 'REFERENCE_NUMBER', 'ITEM_CODE', 'ITEM_DESCRIPTION', 'TRANSACTION_TYPE_NAME'],
    filters: ['ORGANIZATION_CODE', 'ORGANIZATION_ID', 'TRANSACTION_TYPE_NAME', 'FPPR_NUMBER', 'ITEM_CODE', 'SUBINVENTORY'],
    ...cadence.transactional,
  },

  // ── orders and purchasing ──────────────────────────────────────────────────────────────────
  {
    name: 'open-sales-order',
    description: 'Booked, not yet shipped sales-order lines (incl. internal orders between branches) with quantities in carton/bale/pres/pack.',
    view: 'APPS.OE_ORDER_LINES_ALL',
    fromSql: `SELECT ooh.HEADER_ID,
       CASE
         WHEN ott.NAME = 'HOQ-Taking Order' THEN 'SO SUB-DIST'
         WHEN ott.NAME = 'HOQ-Internal Order' THEN 'ISO DC To Cabang'
         WHEN ott.NAME LIKE '%Internal Order' AND hl_bill.ADDRESS1 LIKE '%TO CWH%' THEN 'ISO Cabang to CWH'
         WHEN ott.NAME LIKE '%Internal Order' AND msib.DESCRIPTION LIKE 'BS%' THEN 'ISO RETUR BS'
         WHEN ott.NAME LIKE '%Internal Order' THEN 'ISO'
         ELSE 'SO'
       END AS SO_TYPE,
       ooh.ORG_ID, hou.NAME AS ORG_NAME, ooh.FLOW_STATUS_CODE AS STATUS, ool.SHIP_FROM_ORG_ID AS ORGANIZATION_ID,
       ott.NAME AS TRANSACTION_TYPE, TO_CHAR(ooh.ORDER_NUMBER) AS ORDER_NUMBER,
       ool.SHIP_FROM_ORG_ID AS ORGANIZATION_ID_FROM, mp_from.ORGANIZATION_CODE AS ORGANIZATION_CODE_FROM,
       ooh.ORDERED_DATE, prl.DESTINATION_ORGANIZATION_ID AS ORGANIZATION_ID_TO,
       mp_to.ORGANIZATION_CODE AS ORGANIZATION_CODE_TO, hcsu_bill.LOCATION AS LOCATION_BILL,
       hcsu_ship.LOCATION AS LOCATON_SHIP, hl_bill.ADDRESS1 AS INVOICE_TO_ADDRESS1,
       ooh.CREATED_BY, ooh.CREATION_DATE AS CREATED_DATE, ool.LINE_NUMBER, ool.INVENTORY_ITEM_ID,
       si.ITEM_CODE, msib.SEGMENT1 AS ITEM_NUMBER, si.ITEM_NAME AS ITEM_DESC, msib.DESCRIPTION AS ITEM_DESCRIPTION,
       ool.ORDERED_QUANTITY, ool.ORDER_QUANTITY_UOM, ool.SHIPPING_QUANTITY, ool.SHIPPING_QUANTITY_UOM,
       APPS.XTD_INV_CONVERT_QTY_DUS_FNC(ool.INVENTORY_ITEM_ID, ool.ORDERED_QUANTITY, 'DUS') AS DUS,
       APPS.XTD_INV_CONVERT_QTY_DUS_FNC(ool.INVENTORY_ITEM_ID, ool.ORDERED_QUANTITY, 'BAL') AS BAL,
       APPS.XTD_INV_CONVERT_QTY_DUS_FNC(ool.INVENTORY_ITEM_ID, ool.ORDERED_QUANTITY, 'PRS') AS PRS,
       APPS.XTD_INV_CONVERT_QTY_DUS_FNC(ool.INVENTORY_ITEM_ID, ool.ORDERED_QUANTITY, 'BKS') AS BKS,
       wdd.RELEASED_STATUS
  FROM APPS.OE_ORDER_HEADERS_ALL ooh
  JOIN APPS.OE_ORDER_LINES_ALL ool ON ool.HEADER_ID = ooh.HEADER_ID
  JOIN APPS.OE_TRANSACTION_TYPES_TL ott ON ott.TRANSACTION_TYPE_ID = ooh.ORDER_TYPE_ID AND ott.LANGUAGE = 'US'
  JOIN APPS.MTL_SYSTEM_ITEMS_B msib
    ON msib.INVENTORY_ITEM_ID = ool.INVENTORY_ITEM_ID AND msib.ORGANIZATION_ID = ool.SHIP_FROM_ORG_ID
  JOIN APPS.MTL_PARAMETERS mp_from ON mp_from.ORGANIZATION_ID = ool.SHIP_FROM_ORG_ID
  LEFT JOIN APPS.HZ_CUST_SITE_USES_ALL hcsu_bill ON hcsu_bill.SITE_USE_ID = ooh.INVOICE_TO_ORG_ID
  LEFT JOIN APPS.HZ_CUST_ACCT_SITES_ALL hcas_bill ON hcas_bill.CUST_ACCT_SITE_ID = hcsu_bill.CUST_ACCT_SITE_ID
  LEFT JOIN APPS.HZ_PARTY_SITES hps_bill ON hps_bill.PARTY_SITE_ID = hcas_bill.PARTY_SITE_ID
  LEFT JOIN APPS.HZ_LOCATIONS hl_bill ON hl_bill.LOCATION_ID = hps_bill.LOCATION_ID
  LEFT JOIN APPS.HZ_CUST_SITE_USES_ALL hcsu_ship ON hcsu_ship.SITE_USE_ID = ooh.SHIP_TO_ORG_ID
  LEFT JOIN APPS.WSH_DELIVERY_DETAILS wdd ON wdd.SOURCE_LINE_ID = ool.LINE_ID AND wdd.SOURCE_CODE = 'OE'
  LEFT JOIN APPS.PO_REQUISITION_LINES_ALL prl ON prl.REQUISITION_LINE_ID = ool.SOURCE_DOCUMENT_LINE_ID
  LEFT JOIN APPS.MTL_PARAMETERS mp_to ON mp_to.ORGANIZATION_ID = prl.DESTINATION_ORGANIZATION_ID
  LEFT JOIN APPS.XTD_INV_SALES_ITEMS_V si
    ON si.ITEM_ID = ool.INVENTORY_ITEM_ID AND si.ORGANIZATION_ID = ool.SHIP_FROM_ORG_ID
  LEFT JOIN APPS.HR_ORGANIZATION_UNITS hou ON hou.ORGANIZATION_ID = ooh.ORG_ID
 WHERE ooh.BOOKED_FLAG = 'Y'
   AND NVL(ool.CANCELLED_FLAG, 'N') = 'N'
   AND ott.NAME NOT LIKE '%CANVAS%'
   AND NOT EXISTS (SELECT 1 FROM APPS.OE_ORDER_HOLDS_ALL hold
                    WHERE hold.HEADER_ID = ooh.HEADER_ID AND hold.RELEASED_FLAG = 'N')
   AND (ott.NAME <> 'HOQ-Taking Order'
        OR (wdd.RELEASED_STATUS = 'R' AND ool.FLOW_STATUS_CODE = 'AWAITING_SHIPPING'))`,
    key: ['HEADER_ID', 'LINE_NUMBER'],
    columns: columns({
      HEADER_ID: 'number',
      SO_TYPE: 'string',
      ORG_ID: 'number',
      ORG_NAME: 'string',
      STATUS: 'string',
      ORGANIZATION_ID: 'number',
      TRANSACTION_TYPE: 'string',
      ORDER_NUMBER: 'string',
      ORGANIZATION_ID_FROM: 'number',
      ORGANIZATION_CODE_FROM: 'string',
      ORDERED_DATE: 'date',
      ORGANIZATION_ID_TO: 'number',
      ORGANIZATION_CODE_TO: 'string',
      LOCATION_BILL: 'string',
      // Misspelled in the legacy SQL; kept so existing consumers keep working.
      LOCATON_SHIP: 'string',
      INVOICE_TO_ADDRESS1: 'string',
      CREATED_BY: 'number',
      CREATED_DATE: 'date',
      LINE_NUMBER: 'number',
      INVENTORY_ITEM_ID: 'number',
      ITEM_CODE: 'string',
      ITEM_NUMBER: 'string',
      ITEM_DESC: 'string',
      ITEM_DESCRIPTION: 'string',
      ORDERED_QUANTITY: 'number',
      ORDER_QUANTITY_UOM: 'string',
      SHIPPING_QUANTITY: 'number',
      SHIPPING_QUANTITY_UOM: 'string',
      DUS: 'number',
      BAL: 'number',
      PRS: 'number',
      BKS: 'number',
      RELEASED_STATUS: 'string',
    }),
    search: ['ORDER_NUMBER', 'ITEM_CODE', 'ITEM_DESCRIPTION', 'LOCATION_BILL'],
    filters: ['ORDER_NUMBER', 'SO_TYPE', 'ORGANIZATION_CODE_FROM', 'ORGANIZATION_CODE_TO', 'ORG_ID'],
    ...cadence.stock,
  },
  {
    name: 'purchase-order',
    description: 'Open purchase-order lines for cigarette items from principals, with received, due and billed quantities.',
    view: 'APPS.PO_HEADERS_ALL',
    // Shipments are summed per line so a line split over several shipments is still one row.
    fromSql: `SELECT pha.SEGMENT1 AS NOMOR_PO, pha.VENDOR_ID AS ID_VENDOR, pha.VENDOR_SITE_ID,
       (SELECT aps.VENDOR_NAME FROM APPS.AP_SUPPLIERS aps WHERE aps.VENDOR_ID = pha.VENDOR_ID) AS NAMA_VENDOR,
       (SELECT assa.ADDRESS_LINE1 FROM APPS.AP_SUPPLIER_SITES_ALL assa
         WHERE assa.VENDOR_SITE_ID = pha.VENDOR_SITE_ID) AS ALAMAT_VENDOR,
       (SELECT MAX(prin.PRIN_GROUP) FROM APPS.XTD_AP_SUPP_PRIN_ROKOK_V prin
         WHERE prin.VENDOR_ID = pha.VENDOR_ID) AS PRIN_GROUP,
       pha.CREATION_DATE AS TANGGAL_PEMBUATAN_PO, pha.APPROVED_DATE AS TANGGAL_APPROVE_PO,
       pha.AUTHORIZATION_STATUS AS STATUS_PO, pla.LINE_NUM AS PO_LINE_NUM,
       msib.SEGMENT1 || '.' || msib.SEGMENT2 AS SKU,
       (SELECT MAX(mcr.CROSS_REFERENCE) FROM APPS.MTL_CROSS_REFERENCES_VL mcr
         WHERE mcr.INVENTORY_ITEM_ID = pla.ITEM_ID) AS KODE_ITEM,
       pla.ITEM_DESCRIPTION AS DESKRIPSI_ITEM_LINE_PO, TO_CHAR(pla.QUANTITY) AS PO_LINE_QUANTITY,
       pll.QTY_RECEIVED, pll.QTY_DUE, pla.UNIT_MEAS_LOOKUP_CODE AS UOM, pll.CLOSED_CODE AS KONDISI_PO,
       pll.QTY_BILLED
  FROM APPS.PO_HEADERS_ALL pha
  JOIN APPS.PO_LINES_ALL pla ON pla.PO_HEADER_ID = pha.PO_HEADER_ID
  JOIN (SELECT PO_LINE_ID, MAX(CLOSED_CODE) AS CLOSED_CODE, MAX(SHIP_TO_ORGANIZATION_ID) AS SHIP_TO_ORGANIZATION_ID,
               SUM(QUANTITY_RECEIVED) AS QTY_RECEIVED, SUM(QUANTITY - QUANTITY_RECEIVED) AS QTY_DUE,
               SUM(QUANTITY_BILLED) AS QTY_BILLED
          FROM APPS.PO_LINE_LOCATIONS_ALL
         WHERE CLOSED_CODE = 'OPEN'
         GROUP BY PO_LINE_ID) pll ON pll.PO_LINE_ID = pla.PO_LINE_ID
  JOIN APPS.MTL_SYSTEM_ITEMS_B msib
    ON msib.INVENTORY_ITEM_ID = pla.ITEM_ID AND msib.ORGANIZATION_ID = pll.SHIP_TO_ORGANIZATION_ID
 WHERE msib.SEGMENT1 = 'RK'`,
    key: ['NOMOR_PO', 'PO_LINE_NUM'],
    columns: columns({
      NOMOR_PO: 'string',
      ID_VENDOR: 'number',
      VENDOR_SITE_ID: 'number',
      NAMA_VENDOR: 'string',
      ALAMAT_VENDOR: 'string',
      PRIN_GROUP: 'string',
      TANGGAL_PEMBUATAN_PO: 'date',
      TANGGAL_APPROVE_PO: 'date',
      STATUS_PO: 'string',
      PO_LINE_NUM: 'number',
      SKU: 'string',
      KODE_ITEM: 'string',
      DESKRIPSI_ITEM_LINE_PO: 'string',
      PO_LINE_QUANTITY: 'string',
      QTY_RECEIVED: 'number',
      QTY_DUE: 'number',
      UOM: 'string',
      KONDISI_PO: 'string',
      QTY_BILLED: 'number',
    }),
    search: ['NOMOR_PO', 'NAMA_VENDOR', 'KODE_ITEM', 'DESKRIPSI_ITEM_LINE_PO'],
    filters: ['NOMOR_PO', 'ID_VENDOR', 'PRIN_GROUP', 'STATUS_PO'],
    ...cadence.transactional,
  },
  {
    name: 'po-line',
    description: 'Purchase-order lines raised from flagged requisitions that are still open, unconsumed and not yet received.',
    view: 'APPS.PO_LINES_ALL',
    // VENDOR_ID is not in the legacy DTO but every legacy query required it as a filter.
    fromSql: `SELECT pha.SEGMENT1, pla.ITEM_DESCRIPTION, pla.PO_LINE_ID, pha.VENDOR_ID
  FROM APPS.PO_LINES_ALL pla
  JOIN APPS.PO_HEADERS_ALL pha ON pha.PO_HEADER_ID = pla.PO_HEADER_ID
 WHERE pla.ATTRIBUTE7 IS NULL
   AND NVL(pla.CLOSED_CODE, 'OPEN') <> 'CLOSED'
   AND EXISTS (SELECT 1
                 FROM APPS.PO_DISTRIBUTIONS_ALL pda
                 JOIN APPS.PO_REQ_DISTRIBUTIONS_ALL prda ON prda.DISTRIBUTION_ID = pda.REQ_DISTRIBUTION_ID
                 JOIN APPS.PO_REQUISITION_LINES_ALL prla ON prla.REQUISITION_LINE_ID = prda.REQUISITION_LINE_ID
                 JOIN APPS.PO_REQUISITION_HEADERS_ALL prha ON prha.REQUISITION_HEADER_ID = prla.REQUISITION_HEADER_ID
                WHERE pda.PO_LINE_ID = pla.PO_LINE_ID AND prha.ATTRIBUTE7 = 'YES')
   AND (SELECT NVL(SUM(pll.QUANTITY_RECEIVED), 0) FROM APPS.PO_LINE_LOCATIONS_ALL pll
         WHERE pll.PO_LINE_ID = pla.PO_LINE_ID) = 0`,
    key: ['PO_LINE_ID'],
    columns: columns({ SEGMENT1: 'string', ITEM_DESCRIPTION: 'string', PO_LINE_ID: 'number', VENDOR_ID: 'number' }),
    search: ['SEGMENT1', 'ITEM_DESCRIPTION'],
    filters: ['VENDOR_ID', 'SEGMENT1'],
    ...cadence.transactional,
  },
  {
    name: 'do-validation',
    description: 'Principal delivery notes (surat jalan) in staging, with how many and which purchase orders each covers.',
    view: 'XTD_OM_PRINCIPAL_DO_STG',
    // LISTAGG without DISTINCT (11g has none): the inner DISTINCT removes repeated PO numbers.
    fromSql: `SELECT NO_SURAT_JALAN, COUNT(*) AS JML_NO_PO,
       LISTAGG(PO_NUMBER, ',') WITHIN GROUP (ORDER BY PO_NUMBER) AS DAFTAR_NO_PO
  FROM (SELECT DISTINCT NO_SURAT_JALAN, PO_NUMBER FROM XTD_OM_PRINCIPAL_DO_STG
         WHERE NO_SURAT_JALAN IS NOT NULL AND PO_NUMBER IS NOT NULL)
 GROUP BY NO_SURAT_JALAN`,
    key: ['NO_SURAT_JALAN'],
    columns: columns({ NO_SURAT_JALAN: 'string', JML_NO_PO: 'number', DAFTAR_NO_PO: 'string' }),
    search: ['NO_SURAT_JALAN', 'DAFTAR_NO_PO'],
    filters: ['NO_SURAT_JALAN'],
    ...cadence.transactional,
  },
  {
    name: 'surat-jalan-so',
    description: 'Delivery note numbers (surat jalan) of internal sales orders.',
    view: 'XTD_OM_ISO_SJ_DELIVERY',
    // The view has a row per delivery line; the entity is the delivery note.
    fromSql: `SELECT DISTINCT NO_SJ FROM XTD_OM_ISO_SJ_DELIVERY WHERE NO_SJ IS NOT NULL`,
    key: ['NO_SJ'],
    columns: columns({ NO_SJ: 'string' }),
    search: ['NO_SJ'],
    filters: [],
    ...cadence.transactional,
  },
  {
    name: 'summary-fppr',
    description: 'Settlement totals per FPPR (salesman trip settlement): sales by payment type, collections, returns, deposit and operating cost.',
    view: 'APPS.XTD_ONT_SUMMARY_FPPR_V',
    key: ['SUMMARY_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      SUMMARY_ID: 'number',
      FPPR_ID: 'number',
      FPPR_NUMBER: 'string',
      CASH_SALES_AMOUNT: 'number',
      TRANSFER_SALES_AMOUNT: 'number',
      GIRO_SALES_AMOUNT: 'number',
      CREDIT_SALES_AMOUNT: 'number',
      CASH_COLLECT_AMOUNT: 'number',
      TRANSFER_COLLECT_AMOUNT: 'number',
      RETURN_SALES_AMOUNT: 'number',
      DEPOSIT_AMOUNT: 'number',
      OPERATION_COST_AMOUNT: 'number',
      BTU_AMOUNT: 'number',
      COLLECT_TOTAL_AMOUNT: 'number',
      CASH_TOTAL_AMOUNT: 'number',
      SALES_TOTAL_AMOUNT: 'number',
      DESCRIPTION: 'string',
      ATTRIBUTE_CATEGORY: 'string',
      ATTRIBUTE1: 'string',
      ATTRIBUTE2: 'string',
      ATTRIBUTE3: 'string',
      ATTRIBUTE4: 'string',
      ATTRIBUTE5: 'string',
      ATTRIBUTE6: 'string',
      ATTRIBUTE7: 'string',
      ATTRIBUTE8: 'string',
      ATTRIBUTE9: 'string',
      ATTRIBUTE10: 'string',
      ATTRIBUTE11: 'string',
      ATTRIBUTE12: 'string',
      ATTRIBUTE13: 'string',
      ATTRIBUTE14: 'string',
      ATTRIBUTE15: 'string',
      SOURCE_SYSTEM: 'string',
      SOURCE_BATCH_ID: 'string',
      SOURCE_HEADER_ID: 'string',
      SOURCE_LINE_ID: 'string',
      REQUEST_ID: 'number',
      CREATION_DATE: 'date',
      CREATED_BY: 'string',
      LAST_UPDATE_LOGIN: 'number',
      LAST_UPDATE_DATE: 'date',
      LAST_UPDATED_BY: 'string',
    }),
    search: ['FPPR_NUMBER', 'DESCRIPTION'],
    filters: ['FPPR_ID', 'FPPR_NUMBER', 'SOURCE_SYSTEM'],
    ...cadence.transactional,
  },

  // ── suppliers and payables ─────────────────────────────────────────────────────────────────
  {
    name: 'supplier',
    description: 'Suppliers (principals, service vendors, employees paid as vendors) with tax registration and grouping attributes.',
    view: 'APPS.XTD_AP_SUPPLIERS_V',
    key: ['VENDOR_ID'],
    columns: columns({
      VENDOR_ID: 'number',
      VENDOR_NAME: 'string',
      VENDOR_NAME_ALT: 'string',
      SUMMARY_FLAG: 'string',
      ENABLED_FLAG: 'string',
      LAST_UPDATE_LOGIN: 'number',
      VENDOR_TYPE_LOOKUP_CODE: 'string',
      ONE_TIME_FLAG: 'string',
      VAT_CODE: 'string',
      TERMS_DATE_BASIS: 'string',
      ATTRIBUTE5: 'string',
      ATTRIBUTE6: 'string',
      ATTRIBUTE7: 'string',
      ATTRIBUTE8: 'string',
      ATTRIBUTE9: 'string',
      ATTRIBUTE10: 'string',
      ATTRIBUTE11: 'string',
      ATTRIBUTE12: 'string',
      ATTRIBUTE13: 'string',
      VAT_REGISTRATION_NUM: 'string',
      PARTY_ID: 'number',
    }),
    search: ['VENDOR_NAME', 'VENDOR_NAME_ALT', 'VAT_REGISTRATION_NUM'],
    filters: ['VENDOR_TYPE_LOOKUP_CODE', 'ENABLED_FLAG', 'VAT_CODE', 'ATTRIBUTE7'],
    ...cadence.reference,
  },
  {
    name: 'coa-expense',
    description: 'Expense names mapped to their GL account combination per FPPR type and branch, for expense invoice lines.',
    view: 'APPS.XTD_AP_COA_EXPENSES_V',
    key: ['CODE_COMBINATION_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      EXPENSE_NAME: 'string',
      COA_COMBINATIONS: 'string',
      CODE_COMBINATION_ID: 'number',
      FPPR_TYPE_CODE: 'string',
      FPPR_TYPE_DESCRIPTION: 'string',
      ENABLED_FLAG: 'string',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['EXPENSE_NAME', 'COA_COMBINATIONS'],
    filters: ['ORGANIZATION_CODE', 'FPPR_TYPE_CODE', 'ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'ap-payment-method',
    description: 'Payables payment methods with the paying bank account, payment profile and payment document.',
    view: 'APPS.XTD_AP_PAYMENT_METHODS_V',
    key: ['PAYMENT_METHOD_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      PAYMENT_METHOD_CODE: 'string',
      PAYMENT_METHOD_NAME: 'string',
      DESCRIPTION: 'string',
      BANK_ACCOUNT_NAME: 'string',
      BANK_ACCOUNT_NUM: 'string',
      CURRENCY_CODE: 'string',
      MULTI_CURRENCY_ALLOWED_FLAG: 'string',
      BANK_ACCOUNT_ID: 'number',
      BANK_ACCT_USE_ID: 'number',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      SYSTEM_PROFILE_CODE: 'string',
      PAYMENT_PROFILE_NAME: 'string',
      PAYMENT_PROFILE_ID: 'number',
      PAYMENT_DOCUMENT_NAME: 'string',
      PAYMENT_DOCUMENT_ID: 'number',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['PAYMENT_METHOD_CODE', 'PAYMENT_METHOD_NAME'],
    filters: ['ORGANIZATION_CODE', 'CURRENCY_CODE'],
    ...cadence.reference,
  },
  {
    name: 'ap-term',
    description: 'Supplier payment terms.',
    view: 'APPS.XTD_AP_TERMS_V',
    key: ['TERM_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns(TERM_COLUMNS),
    search: ['TERM_NAME', 'DESCRIPTION'],
    filters: ['ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'ap-invoice-type',
    description: 'Payables invoice types and their DMS code.',
    view: 'APPS.XTD_AP_INVOICE_TYPES_V',
    key: ['INVOICE_TYPE_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      INVOICE_TYPE_CODE: 'string',
      INVOICE_TYPE_NAME: 'string',
      DESCRIPTION: 'string',
      ENABLED_FLAG: 'string',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
      INVOICE_TYPE_DMS: 'string',
    }),
    search: ['INVOICE_TYPE_CODE', 'INVOICE_TYPE_NAME'],
    filters: ['ENABLED_FLAG', 'INVOICE_TYPE_DMS'],
    ...cadence.reference,
  },

  // ── receivables setup ──────────────────────────────────────────────────────────────────────
  {
    name: 'ar-receipt-method',
    description: 'Receivables receipt methods (cash, transfer, giro) with the remittance bank account, per branch.',
    view: 'APPS.XTD_AR_RECEIPT_METHODS_V',
    key: ['RECEIPT_METHOD_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns(RECEIPT_METHOD_COLUMNS),
    search: ['RECEIPT_METHOD_NAME', 'PRINTED_NAME', 'BANK_ACCOUNT_NUMBER'],
    filters: ['ORGANIZATION_CODE', 'ORG_ID', 'RECEIPT_CLASSES', 'CURRENCY_CODE', 'SALES_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'receipt-method',
    description: 'Receivables receipt methods: the older, unserved duplicate of ar-receipt-method over the same view.',
    view: 'APPS.XTD_AR_RECEIPT_METHODS_V',
    key: ['RECEIPT_METHOD_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns(RECEIPT_METHOD_COLUMNS),
    search: ['RECEIPT_METHOD_NAME', 'PRINTED_NAME', 'BANK_ACCOUNT_NUMBER'],
    filters: ['ORGANIZATION_CODE', 'ORG_ID', 'RECEIPT_CLASSES', 'CURRENCY_CODE'],
    ...cadence.reference,
  },
  {
    name: 'sales-activity',
    description: 'Receivables activities (miscellaneous receipt types such as bank charges or payment differences) mapped to DMS receipt types.',
    view: 'APPS.XTD_AR_SALES_ACTIVITIES_V',
    key: ['RECEIVABLES_TRX_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      ACTIVITY_NAME: 'string',
      RECEIPT_TYPE_DMS: 'string',
      STATUS: 'string',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
      RECEIVABLES_TRX_ID: 'number',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
    }),
    search: ['ACTIVITY_NAME', 'RECEIPT_TYPE_DMS'],
    filters: ['ORGANIZATION_CODE', 'STATUS', 'RECEIPT_TYPE_DMS'],
    ...cadence.reference,
  },
  {
    name: 'ar-term',
    description: 'Customer payment terms (e.g. COD, 14 days).',
    view: 'APPS.XTD_AR_TERMS_V',
    key: ['TERM_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns(TERM_COLUMNS),
    search: ['TERM_NAME', 'DESCRIPTION'],
    filters: ['ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'zx-tax',
    description: 'E-Business Tax rates (e.g. VAT 11%).',
    view: 'APPS.XTD_ZX_TAX_V',
    key: ['TAX_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      TAX_ID: 'number',
      TAX_RATE_CODE: 'string',
      PERCENTAGE_RATE: 'number',
      ENABLED_FLAG: 'string',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['TAX_RATE_CODE'],
    filters: ['TAX_RATE_CODE', 'ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'currency',
    description: 'Currencies enabled in Oracle EBS.',
    view: 'APPS.XTD_FND_CURRENCIES_V',
    key: ['CURRENCY_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      CURRENCY_CODE: 'string',
      NAME: 'string',
      ENABLED_FLAG: 'string',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['CURRENCY_CODE', 'NAME'],
    filters: ['ENABLED_FLAG'],
    ...cadence.fixed,
  },

  // ── order management and inventory setup ───────────────────────────────────────────────────
  {
    name: 'sales-order-type',
    description: 'Sales order types per branch with their paired return, line and line-discount types and DMS code.',
    view: 'APPS.XTD_ONT_SALES_ORDER_TYPES_V',
    key: ['TRANSACTION_TYPE_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      ORDER_CATEGORY_CODE: 'string',
      TRANSACTION_TYPE_NAME: 'string',
      TRANSACTION_TYPE_ID: 'number',
      START_DATE_ACTIVE: 'date',
      END_DATE_ACTIVE: 'date',
      RETURN_TRANSACTION_TYPE_NAME: 'string',
      RETURN_TRANSACTION_TYPE_ID: 'number',
      RETURN_START_DATE_ACTIVE: 'date',
      RETURN_END_DATE_ACTIVE: 'date',
      LINE_TRANSACTION_TYPE_NAME: 'string',
      LINE_TRANSACTION_TYPE_ID: 'number',
      LINE_START_DATE_ACTIVE: 'date',
      LINE_END_DATE_ACTIVE: 'date',
      LINE_DISC_TRANSACTION_TYPE_NAME: 'string',
      LINE_DISC_TRANSACTION_TYPE_ID: 'number',
      LINE_DISC_START_DATE_ACTIVE: 'date',
      LINE_DISC_END_DATE_ACTIVE: 'date',
      TRANSACTION_TYPE_DMS: 'string',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
      LAST_UPDATE_DATE: 'date',
    }),
    search: ['TRANSACTION_TYPE_NAME', 'TRANSACTION_TYPE_DMS'],
    filters: ['ORGANIZATION_CODE', 'ORDER_CATEGORY_CODE', 'TRANSACTION_TYPE_DMS'],
    ...cadence.reference,
  },
  {
    name: 'transaction-type',
    description: 'Inventory transaction types mapped to DMS codes, with move-order type and GL account.',
    view: 'APPS.XTD_INV_TRANSACTION_TYPES_V',
    key: ['TRANSACTION_TYPE_ID'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: columns({
      TRANSACTION_TYPE_NAME: 'string',
      TRANSACTION_TYPE_ID: 'number',
      DESCRIPTION: 'string',
      STATUS: 'number',
      STATUS_DESCRIPTION: 'string',
      TRANSACTION_TYPE_DMS: 'string',
      MOVE_ORDER_TYPE: 'number',
      LAST_UPDATE_DATE: 'date',
      TRANSACTION_SOURCE_TYPE_ID: 'number',
      ORGANIZATION_CODE: 'string',
      ORGANIZATION_NAME: 'string',
      ORGANIZATION_ID: 'number',
      ORG_NAME: 'string',
      ORG_ID: 'number',
      CODE_COMBINATION_ID: 'number',
    }),
    search: ['TRANSACTION_TYPE_NAME', 'TRANSACTION_TYPE_DMS', 'DESCRIPTION'],
    filters: ['ORGANIZATION_CODE', 'TRANSACTION_TYPE_DMS', 'STATUS'],
    ...cadence.reference,
  },
  {
    name: 'fppr-type',
    description: 'FPPR types (kinds of salesman trip settlement, e.g. canvas, taking order).',
    view: 'APPS.XTD_ONT_FPPR_TYPES_V',
    key: ['FPPR_TYPE_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: lookupColumns('FPPR_TYPE_CODE'),
    search: ['FPPR_TYPE_CODE', 'DESCRIPTION'],
    filters: ['ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'fppr-sales-type',
    description: 'FPPR sales types (payment kinds of the sales on a settlement: cash, credit, transfer, giro).',
    view: 'APPS.XTD_ONT_FPPR_SALES_TYPES_V',
    key: ['FPPR_SALES_TYPE_CODE'],
    updatedAt: 'LAST_UPDATE_DATE',
    columns: lookupColumns('FPPR_SALES_TYPE_CODE'),
    search: ['FPPR_SALES_TYPE_CODE', 'DESCRIPTION'],
    filters: ['ENABLED_FLAG'],
    ...cadence.reference,
  },
  {
    name: 'week-sales',
    description: 'Sales calendar: year, month, week and quarter with nominal and actual week boundaries.',
    view: 'XTD_PERIOD_WEEK_V',
    key: ['TAHUN', 'MINGGU'],
    columns: columns({
      TAHUN: 'string',
      BULAN: 'string',
      MINGGU: 'string',
      QUARTER: 'number',
      TANGGAL_AWAL_MINGGU: 'date',
      TANGGAL_AKHIR_MINGGU: 'date',
      TANGGAL_AWAL_MINGGU_REAL: 'date',
      TANGGAL_AKHIR_MINGGU_REAL: 'date',
    }),
    search: ['TAHUN', 'BULAN', 'MINGGU'],
    filters: ['TAHUN', 'BULAN', 'QUARTER'],
    ...cadence.fixed,
  },
];

const COLUMN_NAME = /^[A-Z][A-Z0-9_$#]*$/;
const ENTITY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const VIEW_NAME = /^([A-Z][A-Z0-9_$#]*\.)?[A-Z][A-Z0-9_$#]*$/;

/**
 * Checks every entry once, at module load: SQL builders splice column and view names into SQL
 * text, so they may only ever be these validated identifiers. A bad entry stops the service at
 * start instead of failing one sync at night.
 */
function validate(list: readonly EntityDef[]): void {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const entity of list) {
    const where = `catalogue entity "${entity.name}"`;
    if (!ENTITY_NAME.test(entity.name)) problems.push(`${where}: name is not kebab-case`);
    if (names.has(entity.name)) problems.push(`${where}: declared twice`);
    names.add(entity.name);
    if (!VIEW_NAME.test(entity.view)) problems.push(`${where}: view "${entity.view}" is not an identifier`);
    if (entity.description.trim() === '' || entity.description.includes('\n')) {
      problems.push(`${where}: description must be one non-empty line`);
    }
    const types = new Map<string, string>();
    for (const column of entity.columns) {
      if (!COLUMN_NAME.test(column.name)) problems.push(`${where}: column "${column.name}" is not an identifier`);
      if (types.has(column.name)) problems.push(`${where}: column "${column.name}" declared twice`);
      types.set(column.name, column.type);
    }
    if (entity.key.length === 0) problems.push(`${where}: no key columns`);
    const listed: Array<[string, readonly string[]]> = [
      ['key', entity.key],
      ['search', entity.search],
      ['filters', entity.filters],
    ];
    for (const [role, list] of listed) {
      for (const name of list) {
        if (!types.has(name)) problems.push(`${where}: ${role} column "${name}" is not a declared column`);
      }
      if (new Set(list).size !== list.length) problems.push(`${where}: ${role} lists a column twice`);
    }
    if (entity.updatedAt !== undefined && types.get(entity.updatedAt) !== 'date') {
      problems.push(`${where}: updatedAt "${entity.updatedAt}" is not a declared date column`);
    }
    if (!Number.isInteger(entity.cacheTtlSeconds) || entity.cacheTtlSeconds <= 0) {
      problems.push(`${where}: cacheTtlSeconds must be a positive integer`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid master-data catalogue:\n${problems.join('\n')}`);
}

validate(entries);

/** Every catalogue entity, in declaration order (grouped by subject). */
export const catalogue: readonly EntityDef[] = Object.freeze(entries.map((entry) => Object.freeze(entry)));

const byName = new Map(catalogue.map((entity) => [entity.name, entity]));

/** The catalogue entry called `name`, or undefined. */
export function findEntity(name: string): EntityDef | undefined {
  return byName.get(name);
}

/** The catalogue entry called `name`; INVALID_ARGUMENT `UNKNOWN_ENTITY` when there is none. */
export function requireEntity(name: string): EntityDef {
  const entity = byName.get(name);
  if (entity === undefined) {
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    throw invalidArgument('UNKNOWN_ENTITY', `unknown entity "${shown}"`, [
      { field: 'entity', description: `must be one of the ${catalogue.length} catalogue entities, e.g. "customer"` },
    ]);
  }
  return entity;
}
