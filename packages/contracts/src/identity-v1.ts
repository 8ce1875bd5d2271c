/** core.identity.v1: users, roles and scopes, tokens, service clients. */
export * from './gen/core/identity/v1/identity.js';
export * from './gen/core/identity/v1/identity_service.js';
