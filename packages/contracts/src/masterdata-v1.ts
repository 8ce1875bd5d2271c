/** core.masterdata.v1: the Oracle EBS master data mirror. */
export * from './gen/core/masterdata/v1/records.js';
export * from './gen/core/masterdata/v1/entities.js';
export * from './gen/core/masterdata/v1/masterdata_service.js';
export * from './gen/core/masterdata/v1/sync_service.js';
