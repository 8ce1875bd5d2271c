import type { IdentityServiceImplementation } from '@core/contracts/identity/v1';
import type { Caller, DomainError, ServiceContextExt } from '@core/platform';
import type { CallContext, Metadata } from 'nice-grpc';
import { ADMIN_ROLE } from '../domain/roles.js';
import { authenticationRequired, roleRequired, userRequired } from '../domain/identity.errors.js';
import { SERVICE_SUBJECT_PREFIX } from '../auth/access-tokens.js';

/**
 * Who may call an RPC: anyone (`public`), any valid token (`signed-in`), a signed-in person, not
 * a service identity (`user`), or a holder of the admin role (`admin`).
 */
export type Access = 'public' | 'signed-in' | 'user' | 'admin';

/**
 * The access rule of every IdentityService RPC, declared in one table. The type demands an entry
 * per RPC, so adding an RPC without declaring its access does not compile.
 */
export const IDENTITY_ACCESS: Record<keyof IdentityServiceImplementation, Access> = {
  login: 'public',
  refreshTokens: 'public',
  logout: 'public',
  issueServiceToken: 'public',
  getJwks: 'public',
  getMe: 'user',
  getUser: 'signed-in',
  batchGetUsers: 'signed-in',
  changePassword: 'user',
  listUsers: 'admin',
  createUser: 'admin',
  updateUser: 'admin',
  setPassword: 'admin',
  disableUser: 'admin',
  enableUser: 'admin',
  unlockUser: 'admin',
  createServiceClient: 'admin',
  listServiceClients: 'admin',
};

/**
 * Checks `access` against the caller: UNAUTHENTICATED without a valid token (the token's refusal
 * when one was presented), PERMISSION_DENIED without the right.
 */
export function authorize(access: Access, caller: Caller | undefined, refusal?: DomainError): void {
  if (access === 'public') return;
  if (!caller) throw refusal ?? authenticationRequired();
  if (access === 'user' && caller.subject.startsWith(SERVICE_SUBJECT_PREFIX)) throw userRequired();
  if (access === 'admin' && !caller.roles.includes(ADMIN_ROLE)) throw roleRequired(ADMIN_ROLE);
}

/** Wraps every handler with its declared access check. */
export function withAccess(
  handlers: IdentityServiceImplementation<ServiceContextExt>,
  rejectionOf: (metadata: Metadata) => DomainError | undefined,
): IdentityServiceImplementation<ServiceContextExt> {
  const guarded = {} as Record<string, unknown>;
  for (const [name, handler] of Object.entries(handlers) as [keyof IdentityServiceImplementation, (req: unknown, ctx: ServiceContextExt) => unknown][]) {
    const access = IDENTITY_ACCESS[name];
    guarded[name] = async (request: unknown, context: ServiceContextExt & CallContext) => {
      authorize(access, context.caller, rejectionOf(context.metadata));
      return handler(request, context);
    };
  }
  return guarded as unknown as IdentityServiceImplementation<ServiceContextExt>;
}
