import type { IdentityServiceImplementation } from '@core/contracts/identity/v1';
import { Access, type AccessTable, guardService, type ServiceContextExt } from '@core/platform';
import { ADMIN_ROLE } from '../domain/roles.js';

const admin = Access.roles([ADMIN_ROLE]);

/**
 * The access rule of every IdentityService RPC, declared in one table with the platform's rules.
 * The type demands an entry per RPC, so adding an RPC without declaring its access does not
 * compile (and `guardService` refuses it at start).
 */
export const IDENTITY_ACCESS: AccessTable<IdentityServiceImplementation> = {
  login: Access.public,
  refreshTokens: Access.public,
  logout: Access.public,
  issueServiceToken: Access.public,
  getJwks: Access.public,
  getMe: Access.user,
  getUser: Access.signedIn,
  batchGetUsers: Access.signedIn,
  changePassword: Access.user,
  listUsers: admin,
  createUser: admin,
  updateUser: admin,
  setPassword: admin,
  disableUser: admin,
  enableUser: admin,
  unlockUser: admin,
  createServiceClient: admin,
  listServiceClients: admin,
};

/** Wraps every handler with its declared access check. */
export function withAccess(handlers: IdentityServiceImplementation<ServiceContextExt>): IdentityServiceImplementation<ServiceContextExt> {
  return guardService(handlers, IDENTITY_ACCESS);
}
