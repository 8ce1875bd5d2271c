/** core.common.v1: messages shared by every domain (money, audit stamps, calendar dates). */
export * from './gen/core/common/v1/common.js';
