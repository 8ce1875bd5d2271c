import { AuditEventSchema } from '@core/platform/audit';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A person who signs in (see the `users` table in the migration). */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    username: p.text().nullable(),
    email: p.text().nullable(),
    /** Nomor Induk Pegawai: the employee number employees sign in with. */
    nip: p.text().nullable(),
    name: p.text(),
    roles: p.json<string[]>(),
    area: p.text(),
    region: p.text(),
    unit: p.text(),
    approvalLevel: p.smallint().nullable(),
    status: p.text().$type<'active' | 'disabled'>(),
    passwordHash: p.text().hidden(),
    lockedUntil: p.datetime().columnType('timestamptz').nullable(),
    /** Failed logins before this instant no longer count toward a lock (set by a success, a lock or an unlock). */
    failuresResetAt: p.datetime().columnType('timestamptz').nullable(),
    searchText: p.text(),
    createdAt: p.datetime().columnType('timestamptz'),
    updatedAt: p.datetime().columnType('timestamptz'),
  },
});

/**
 * One refresh token, stored as the SHA-256 of the opaque token. Tokens rotated from one login form
 * a family; presenting a spent one revokes the family.
 */
export const RefreshTokenSchema = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    id: p.uuid().primary(),
    tokenHash: p.text().unique(),
    familyId: p.uuid(),
    parentId: p.uuid().nullable(),
    userId: p.uuid(),
    issuedAt: p.datetime().columnType('timestamptz'),
    expiresAt: p.datetime().columnType('timestamptz'),
    usedAt: p.datetime().columnType('timestamptz').nullable(),
    revokedAt: p.datetime().columnType('timestamptz').nullable(),
    revokedReason: p.text().nullable(),
  },
});

/** One login attempt: the lockout counts them, administrators read them. */
export const LoginAttemptSchema = defineEntity({
  name: 'LoginAttempt',
  tableName: 'login_attempts',
  properties: {
    id: p.uuid().primary(),
    /** Null when the login named no account. */
    userId: p.uuid().nullable(),
    login: p.text(),
    attemptedAt: p.datetime().columnType('timestamptz'),
    /** `pending` while the password is being checked; counts as a failure until it ends. */
    outcome: p.text().$type<'pending' | 'succeeded' | 'failed' | 'locked' | 'disabled'>(),
    remote: p.text().nullable(),
  },
});

/** A machine identity with a hashed secret (client credentials). */
export const ServiceClientSchema = defineEntity({
  name: 'ServiceClient',
  tableName: 'service_clients',
  properties: {
    clientId: p.text().primary(),
    displayName: p.text(),
    roles: p.json<string[]>(),
    secretHash: p.text().hidden(),
    createdAt: p.datetime().columnType('timestamptz'),
    createdBy: p.text(),
    disabledAt: p.datetime().columnType('timestamptz').nullable(),
  },
});

export type UserEntity = InferEntity<typeof UserSchema>;
export type ServiceClientEntity = InferEntity<typeof ServiceClientSchema>;

/** Every MikroORM entity of the service, for `initORM` (with the platform's audit log). */
export const identityEntities = [UserSchema, RefreshTokenSchema, LoginAttemptSchema, ServiceClientSchema, AuditEventSchema];
