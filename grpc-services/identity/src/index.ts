/**
 * @core/identity-service: users, roles and scopes, sign-in and token issuing as a gRPC service.
 * Used by the deployable (`main.ts`), the embedded one-process start and the tests.
 */
export { loadIdentityConfig, type IdentityConfig } from './config.js';
export { JWKS_PATH, startIdentityService, type IdentityService, type StartIdentityOptions } from './server.js';
export { ROLES, ADMIN_ROLE, isRole, type Role } from './domain/roles.js';
export { DEMO_ACCOUNTS, type DemoAccount } from './domain/demo-accounts.js';
export { IDENTITY_ACCESS } from './handlers/access.js';
