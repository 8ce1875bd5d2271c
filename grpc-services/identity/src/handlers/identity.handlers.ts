import type { IdentityServiceImplementation, UserScope as UserScopeMessage } from '@core/contracts/identity/v1';
import {
  decodePageToken,
  encodePageToken,
  failedPrecondition,
  invalidArgument,
  notFound,
  resolvePageSize,
  type RevocationList,
  type FieldViolation,
  type ServiceContextExt,
} from '@core/platform';
import { auditOriginOf, REDACTED } from '@core/platform/audit';
import type { MikroORM } from '@mikro-orm/core';
import type { CallContext } from 'nice-grpc';
import { z } from 'zod';
import { type Sessions, userTarget } from '../auth/sessions.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { SigningKey } from '../auth/signing-key.js';
import { AUDIT_SERVICE, type AuditTrail, createAuditTrail } from '../data/audit-trail.js';
import type { RefreshTokenStore } from '../data/refresh-token.store.js';
import type { ServiceClientStore } from '../data/service-client.store.js';
import type { UserChanges, UserRecord, UserStore } from '../data/user.store.js';
import { isRole } from '../domain/roles.js';
import {
  checkClientId,
  checkCredentialsShape,
  checkNewPassword,
  hasControlCharacters,
  isUserId,
  normaliseIdentifiers,
  normaliseName,
  normaliseRoles,
  normaliseScope,
  requireUserId,
  throwIfViolations,
} from '../domain/user.rules.js';
import { withAccess } from './access.js';
import { fromUserStatus, toServiceClientMessage, toUserMessage } from './mappers.js';

/** Dependencies of {@link createIdentityHandlers}. */
export interface IdentityHandlerDeps {
  /** The service database: audited changes run in one transaction with their audit event. */
  readonly orm: MikroORM;
  readonly sessions: Sessions;
  readonly users: UserStore;
  readonly clients: ServiceClientStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly passwords: PasswordHasher;
  readonly key: SigningKey;
  readonly clock: () => Date;
  /** Disabled accounts and reset passwords revoke the subject's live access tokens on every verifier. */
  readonly revocations: RevocationList;
}

const MAX_BATCH_IDS = 1000;
const LIST_PAGE = { defaultSize: 50, maxSize: 500 };
const MAX_QUERY_LENGTH = 200;
const MAX_TOKEN_LENGTH = 4096;
/** Fields UpdateUser can change (AIP-134 update mask paths). */
const UPDATABLE = new Set(['username', 'email', 'nip', 'name', 'roles', 'scope', 'status']);

const userPageToken = z.object({ n: z.string(), i: z.string(), f: z.string() });
const clientPageToken = z.object({ c: z.string() });

type Ctx = CallContext & ServiceContextExt;

function tokenField(token: string, field: string): void {
  const violations: FieldViolation[] = [];
  if (token === '') violations.push({ field, description: 'required' });
  else if (token.length > MAX_TOKEN_LENGTH) violations.push({ field, description: `at most ${MAX_TOKEN_LENGTH} characters` });
  throwIfViolations(violations);
}

function scopeInput(scope: UserScopeMessage | undefined) {
  return scope ? { area: scope.area, region: scope.region, unit: scope.unit, approvalLevel: scope.approvalLevel } : undefined;
}

/** The subject of the caller (handlers behind `withAccess` always have one unless public). */
function subjectOf(context: Ctx): string {
  return context.caller?.subject ?? 'anonymous';
}

/** IdentityService: proto ⇄ domain mapping; every RPC's access is declared in `access.ts`. */
export function createIdentityHandlers(deps: IdentityHandlerDeps): IdentityServiceImplementation<ServiceContextExt> {
  const { sessions, users, clients, refreshTokens, passwords, key, clock, revocations } = deps;

  /** The audit trail of one call of `rpc` (e.g. `CreateUser` → action `identity.CreateUser`). */
  const trail = (context: Ctx, rpc: string): AuditTrail => createAuditTrail(deps, auditOriginOf(context), `${AUDIT_SERVICE}.${rpc}`);

  /**
   * The user a change acts on, row-locked in the change's transaction so `before` is exactly what
   * the change replaced; NOT_FOUND (rolling the change back) when it is gone, naming the id as the
   * caller `requested` it.
   */
  const lockUser = async (id: string, requested = id): Promise<UserRecord> => {
    const user = await users.findForUpdate(id);
    if (!user) throw notFound('USER_NOT_FOUND', 'no user has this id', { id: requested });
    return user;
  };

  const requireUser = async (id: string, field = 'id'): Promise<UserRecord> => {
    const user = await users.findById(requireUserId(id, field));
    if (!user) throw notFound('USER_NOT_FOUND', 'no user has this id', { id });
    return user;
  };

  /**
   * One audited change of a user's record: reads the user once, row-locked, hands it to `change`
   * (which may refuse it, rolling everything back) and records the row before and after, all in
   * one transaction. `id` is validated first (INVALID_ARGUMENT on `field`), before any transaction.
   */
  const changeUser = async (
    context: Ctx,
    rpc: string,
    id: string,
    change: (before: UserRecord) => Promise<UserRecord | undefined>,
    field = 'id',
  ): Promise<UserRecord> => {
    const userId = requireUserId(id, field);
    const { updated } = await trail(context, rpc).committed(
      async () => {
        const before = await lockUser(userId, id);
        const after = await change(before);
        if (!after) throw notFound('USER_NOT_FOUND', 'no user has this id', { id: userId });
        return { before, updated: after };
      },
      (result) => ({ target: userTarget(userId), before: result.before, after: result.updated }),
    );
    return updated;
  };

  /** A new password hash and the end of every session of the user (run inside an audited change). */
  const setPasswordAndRevoke = async (userId: string, passwordHash: string, now: Date, reason: string) => {
    if (!(await users.setPasswordHash(userId, passwordHash, now))) throw notFound('USER_NOT_FOUND', 'no user has this id', { id: userId });
    return { userId, sessionsRevoked: await refreshTokens.revokeAllOf(userId, now, reason) };
  };

  /** A password change as an audit event: that it changed (never the value) and the sessions it ended. */
  const describePasswordChange = (change: { userId: string; sessionsRevoked: number }) => ({
    target: userTarget(change.userId),
    after: { password: REDACTED, sessionsRevoked: change.sessionsRevoked },
  });

  const tokenPair = (session: { access: { token: string; expiresAt: Date }; refresh: { token: string; expiresAt: Date } }) => ({
    accessToken: session.access.token,
    tokenType: 'Bearer',
    accessTokenExpireTime: session.access.expiresAt,
    refreshToken: session.refresh.token,
    refreshTokenExpireTime: session.refresh.expiresAt,
  });

  const handlers: IdentityServiceImplementation<ServiceContextExt> = {
    async login(request, context: Ctx) {
      throwIfViolations(checkCredentialsShape(request.login, request.password));
      const session = await sessions.login(request.login, request.password, auditOriginOf(context).clientAddress, trail(context, 'Login'));
      return { tokens: tokenPair(session), user: toUserMessage(session.user) };
    },

    async refreshTokens(request, context: Ctx) {
      tokenField(request.refreshToken, 'refresh_token');
      return { tokens: tokenPair(await sessions.refresh(request.refreshToken, trail(context, 'RefreshTokens'))) };
    },

    async logout(request, context: Ctx) {
      tokenField(request.refreshToken, 'refresh_token');
      await sessions.logout(request.refreshToken, trail(context, 'Logout'));
      return {};
    },

    async issueServiceToken(request, context: Ctx) {
      const violations: FieldViolation[] = [];
      if (request.clientId === '' || request.clientId.length > 63 || hasControlCharacters(request.clientId)) {
        violations.push({ field: 'client_id', description: '1 to 63 printable characters' });
      }
      if (request.clientSecret === '' || request.clientSecret.length > 256) {
        violations.push({ field: 'client_secret', description: '1 to 256 characters' });
      }
      throwIfViolations(violations);
      const access = await sessions.issueServiceToken(request.clientId, request.clientSecret, trail(context, 'IssueServiceToken'));
      return { accessToken: access.token, tokenType: 'Bearer', accessTokenExpireTime: access.expiresAt };
    },

    async getJwks() {
      return { jwksJson: JSON.stringify(key.jwks) };
    },

    async getMe(_request, context: Ctx) {
      return { user: toUserMessage(await requireUser(subjectOf(context))) };
    },

    async getUser(request) {
      return { user: toUserMessage(await requireUser(request.id)) };
    },

    async batchGetUsers(request) {
      if (request.ids.length > MAX_BATCH_IDS) {
        throw invalidArgument('TOO_MANY_IDS', `at most ${MAX_BATCH_IDS} ids per call`, [
          { field: 'ids', description: `at most ${MAX_BATCH_IDS}, got ${request.ids.length}` },
        ]);
      }
      const violations: FieldViolation[] = [];
      request.ids.forEach((id, index) => {
        if (!isUserId(id)) violations.push({ field: `ids[${index}]`, description: 'must be a UUID' });
      });
      throwIfViolations(violations);
      const found = await users.findByIds([...new Set(request.ids.map((id) => id.toLowerCase()))]);
      return { users: found.map(toUserMessage) };
    },

    async listUsers(request) {
      const limit = resolvePageSize(request.pageSize, LIST_PAGE);
      const violations: FieldViolation[] = [];
      if (request.query.length > MAX_QUERY_LENGTH || hasControlCharacters(request.query)) {
        violations.push({ field: 'query', description: `at most ${MAX_QUERY_LENGTH} printable characters` });
      }
      if (request.role !== '' && !isRole(request.role)) violations.push({ field: 'role', description: 'unknown role' });
      const status = fromUserStatus(request.status);
      if (request.status !== 0 && status === undefined) violations.push({ field: 'status', description: 'unknown status' });
      throwIfViolations(violations);
      const filter = { query: request.query.trim(), role: request.role, status };
      // The token is bound to its filter, so it cannot be replayed against a different list.
      const fingerprint = JSON.stringify([filter.query, filter.role, filter.status ?? '']);
      let after: { name: string; id: string } | undefined;
      if (request.pageToken) {
        const token = decodePageToken(request.pageToken, userPageToken);
        if (token.f !== fingerprint) {
          throw invalidArgument('INVALID_PAGE_TOKEN', 'page_token belongs to a different query', [
            { field: 'page_token', description: 'issued for other filters' },
          ]);
        }
        after = { name: token.n, id: token.i };
      }
      const page = await users.list(filter, after, limit + 1);
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return {
        users: items.map(toUserMessage),
        nextPageToken: page.length > limit && last ? encodePageToken({ n: last.name, i: last.id, f: fingerprint }) : '',
      };
    },

    async createUser(request, context: Ctx) {
      const violations: FieldViolation[] = [];
      const identifiers = normaliseIdentifiers(request, violations);
      const name = normaliseName(request.name, violations);
      const roles = normaliseRoles(request.roles, violations);
      const scope = normaliseScope(scopeInput(request.scope), violations);
      violations.push(...checkNewPassword(request.password, 'password'));
      throwIfViolations(violations);
      const passwordHash = await passwords.hash(request.password);
      const user = await trail(context, 'CreateUser').committed(
        () => users.create({ ...identifiers, name, roles, scope, passwordHash }, clock()),
        (created) => ({ target: userTarget(created.id), after: { ...created, password: REDACTED } }),
      );
      return { user: toUserMessage(user) };
    },

    async updateUser(request, context: Ctx) {
      const paths = request.updateMask ?? [];
      const violations: FieldViolation[] = [];
      if (!request.user) violations.push({ field: 'user', description: 'required' });
      if (paths.length === 0) violations.push({ field: 'update_mask', description: 'name the fields to change' });
      paths.forEach((path, index) => {
        if (!UPDATABLE.has(path)) violations.push({ field: `update_mask[${index}]`, description: `'${path.slice(0, 64)}' cannot be changed` });
      });
      throwIfViolations(violations);
      const input = request.user!;
      const userId = requireUserId(input.id, 'user.id');
      const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
      const mask = new Set(paths);
      if (mask.has('name')) changes.name = normaliseName(input.name, violations, 'user.name');
      if (mask.has('roles')) changes.roles = normaliseRoles(input.roles, violations, 'user.roles');
      if (mask.has('scope')) changes.scope = normaliseScope(scopeInput(input.scope), violations, 'user.scope');
      if (mask.has('status')) {
        const status = fromUserStatus(input.status);
        if (status === undefined) violations.push({ field: 'user.status', description: 'ACTIVE or DISABLED' });
        else changes.status = status;
      }
      throwIfViolations(violations);
      if (changes.status === 'disabled' && userId === context.caller?.subject) {
        throw failedPrecondition('CANNOT_DISABLE_SELF', 'an administrator cannot disable their own account');
      }
      const now = clock();
      const updated = await changeUser(context, 'UpdateUser', input.id, async (before) => {
        // The identifiers left after the change are checked against the row as locked here, so two
        // concurrent updates cannot each clear a different one and leave the user without any.
        if (mask.has('username') || mask.has('email') || mask.has('nip')) {
          const identifierViolations: FieldViolation[] = [];
          const merged = normaliseIdentifiers(
            {
              username: mask.has('username') ? input.username : (before.username ?? ''),
              email: mask.has('email') ? input.email : (before.email ?? ''),
              nip: mask.has('nip') ? input.nip : (before.nip ?? ''),
            },
            identifierViolations,
          );
          throwIfViolations(identifierViolations);
          if (mask.has('username')) changes.username = merged.username;
          if (mask.has('email')) changes.email = merged.email;
          if (mask.has('nip')) changes.nip = merged.nip;
        }
        const after = await users.update(before.id, changes, now);
        if (after && changes.status === 'disabled') await refreshTokens.revokeAllOf(before.id, now, 'user disabled');
        return after;
      }, 'user.id');
      // Live access tokens carry the old roles, scope or status: every verifier stops accepting them.
      if (changes.status === 'disabled' || changes.roles || changes.scope) await revocations.revoke(userId, now);
      return { user: toUserMessage(updated) };
    },

    async setPassword(request, context: Ctx) {
      throwIfViolations(checkNewPassword(request.newPassword, 'new_password'));
      const user = await requireUser(request.userId, 'user_id');
      const passwordHash = await passwords.hash(request.newPassword);
      const now = clock();
      await trail(context, 'SetPassword').committed(() => setPasswordAndRevoke(user.id, passwordHash, now, 'password reset'), describePasswordChange);
      await revocations.revoke(user.id, now);
      return {};
    },

    async changePassword(request, context: Ctx) {
      const violations = checkNewPassword(request.newPassword, 'new_password');
      if (request.currentPassword === '') violations.push({ field: 'current_password', description: 'required' });
      else if (request.currentPassword.length > 256) violations.push({ field: 'current_password', description: 'at most 256 characters' });
      throwIfViolations(violations);
      const user = await requireUser(subjectOf(context));
      const audit = trail(context, 'ChangePassword');
      await sessions.verifyCurrentPassword(user, request.currentPassword, auditOriginOf(context).clientAddress, audit);
      const passwordHash = await passwords.hash(request.newPassword);
      const now = clock();
      await audit.committed(() => setPasswordAndRevoke(user.id, passwordHash, now, 'password changed'), describePasswordChange);
      // A changed password ends every session, its live access tokens included (on every verifier).
      await revocations.revoke(user.id, now);
      return {};
    },

    async disableUser(request, context: Ctx) {
      const now = clock();
      const updated = await changeUser(context, 'DisableUser', request.id, async (user) => {
        // Refused inside the change: it rolls back with nothing recorded.
        if (user.id === context.caller?.subject) {
          throw failedPrecondition('CANNOT_DISABLE_SELF', 'an administrator cannot disable their own account');
        }
        const after = await users.update(user.id, { status: 'disabled' }, now);
        await refreshTokens.revokeAllOf(user.id, now, 'user disabled');
        return after;
      });
      await revocations.revoke(updated.id, now);
      return { user: toUserMessage(updated) };
    },

    async enableUser(request, context: Ctx) {
      const updated = await changeUser(context, 'EnableUser', request.id, (user) => users.update(user.id, { status: 'active' }, clock()));
      return { user: toUserMessage(updated) };
    },

    async unlockUser(request, context: Ctx) {
      const updated = await changeUser(context, 'UnlockUser', request.id, (user) => users.unlock(user.id, clock()));
      return { user: toUserMessage(updated) };
    },

    async createServiceClient(request, context: Ctx) {
      const violations: FieldViolation[] = [];
      checkClientId(request.clientId, violations);
      const displayName = normaliseName(request.displayName, violations, 'display_name');
      const roles = normaliseRoles(request.roles, violations);
      throwIfViolations(violations);
      // The secret is returned once and never recorded: the event keeps only the client.
      const { client, secret } = await trail(context, 'CreateServiceClient').committed(
        () => clients.create({ clientId: request.clientId, displayName, roles, createdBy: subjectOf(context) }, clock()),
        (created) => ({ target: { type: 'service_client', id: created.client.clientId }, after: created.client }),
      );
      return { client: toServiceClientMessage(client), clientSecret: secret };
    },

    async listServiceClients(request) {
      const limit = resolvePageSize(request.pageSize, LIST_PAGE);
      const after = request.pageToken ? decodePageToken(request.pageToken, clientPageToken).c : undefined;
      const page = await clients.list(after, limit + 1);
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return {
        clients: items.map(toServiceClientMessage),
        nextPageToken: page.length > limit && last ? encodePageToken({ c: last.clientId }) : '',
      };
    },
  };
  return withAccess(handlers);
}
