/** core.audit.v1: the audit log every service keeps of its mutations and sign-ins. */
export * from './gen/core/audit/v1/audit.js';
