import { randomUUID } from 'node:crypto';
import { DomainError } from '@core/platform';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { Identifiers, LoginIdentifier, UserScope, UserStatusName } from '../domain/user.rules.js';
import { searchTextOf } from '../domain/user.rules.js';
import { query, toDate, toStringArray, uniqueViolation, storeEm } from './sql.js';

/** A user as the service hands it around (never with the password hash). */
export interface UserRecord extends Identifiers {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
  readonly scope: UserScope;
  readonly status: UserStatusName;
  readonly lockedUntil: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The values of a new user. */
export interface NewUser extends Identifiers {
  readonly name: string;
  readonly roles: readonly string[];
  readonly scope: UserScope;
  readonly passwordHash: string;
  readonly status?: UserStatusName;
}

/** Changes to a user; only present keys change. */
export type UserChanges = Partial<Identifiers & { name: string; roles: readonly string[]; scope: UserScope; status: UserStatusName }>;

/** Keyset position of a user list page (users are listed by name, then id). */
export interface UserListPosition {
  readonly name: string;
  readonly id: string;
}

/** Filters of a user list. */
export interface UserListFilter {
  readonly query: string;
  readonly role: string;
  readonly status: UserStatusName | undefined;
}

interface UserRow {
  id: string;
  username: string | null;
  email: string | null;
  nip: string | null;
  name: string;
  roles: unknown;
  area: string;
  region: string;
  unit: string;
  approval_level: number | null;
  status: UserStatusName;
  locked_until: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = 'id, username, email, nip, name, roles, area, region, unit, approval_level, status, locked_until, created_at, updated_at';

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    nip: row.nip,
    name: row.name,
    roles: toStringArray(row.roles),
    scope: { area: row.area, region: row.region, unit: row.unit, approvalLevel: row.approval_level === null ? null : Number(row.approval_level) },
    status: row.status,
    lockedUntil: toDate(row.locked_until),
    createdAt: toDate(row.created_at)!,
    updatedAt: toDate(row.updated_at)!,
  };
}

const IDENTIFIER_FIELDS: Record<string, keyof Identifiers> = {
  users_username_key: 'username',
  users_email_key: 'email',
  users_nip_key: 'nip',
};

/** A unique violation on username, email or NIP as ALREADY_EXISTS naming the field. */
function takenError(err: unknown): Error {
  const constraint = uniqueViolation(err);
  if (constraint === undefined) return err as Error;
  const field = IDENTIFIER_FIELDS[constraint] ?? 'username';
  return new DomainError('ALREADY_EXISTS', 'USER_ALREADY_EXISTS', `another user already has this ${field}`, { field }, [
    { field, description: 'already taken' },
  ]);
}

/** Users in the service's database. */
export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  /**
   * The user, row-locked until the surrounding transaction ends, so an audited change records the
   * exact values it replaced.
   */
  findForUpdate(id: string): Promise<UserRecord | undefined>;
  findByIds(ids: readonly string[]): Promise<UserRecord[]>;
  /** The user a login names, with the password hash and the instant failures are counted from. */
  findForLogin(login: LoginIdentifier): Promise<{ user: UserRecord; passwordHash: string } | undefined>;
  passwordHashOf(id: string): Promise<string | undefined>;
  list(filter: UserListFilter, after: UserListPosition | undefined, limit: number): Promise<UserRecord[]>;
  create(user: NewUser, now: Date): Promise<UserRecord>;
  /** Creates the user unless its username exists (demo seeding, bootstrap); the created user, undefined when it existed. */
  createIfAbsent(user: NewUser, now: Date): Promise<UserRecord | undefined>;
  update(id: string, changes: UserChanges, now: Date): Promise<UserRecord | undefined>;
  setPasswordHash(id: string, passwordHash: string, now: Date): Promise<boolean>;
  /** Lifts a lock and forgets earlier failures. */
  unlock(id: string, now: Date): Promise<UserRecord | undefined>;
  /** The status of a user, for verifying tokens; undefined when the user no longer exists. */
  statusOf(id: string): Promise<UserStatusName | undefined>;
  /** Whether any account (of any status) holds `role`. */
  anyWithRole(role: string): Promise<boolean>;
}

/** The user store over MikroORM's connection (each call on its own forked EntityManager). */
export function createUserStore(orm: MikroORM): UserStore {
  const em = (): EntityManager => storeEm(orm);

  const insert = async (user: NewUser, now: Date, onConflict: string) => {
    const at = now.toISOString();
    return query<UserRow>(
      em(),
      `INSERT INTO users (id, username, email, nip, name, roles, area, region, unit, approval_level, status, password_hash, search_text, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz) ${onConflict} RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        user.username,
        user.email,
        user.nip,
        user.name,
        JSON.stringify(user.roles),
        user.scope.area,
        user.scope.region,
        user.scope.unit,
        user.scope.approvalLevel,
        user.status ?? 'active',
        user.passwordHash,
        searchTextOf(user),
        at,
        at,
      ],
    );
  };

  return {
    async findById(id) {
      const [row] = await query<UserRow>(em(), `SELECT ${COLUMNS} FROM users WHERE id = ?`, [id]);
      return row ? toRecord(row) : undefined;
    },

    async findForUpdate(id) {
      const [row] = await query<UserRow>(em(), `SELECT ${COLUMNS} FROM users WHERE id = ? FOR UPDATE`, [id]);
      return row ? toRecord(row) : undefined;
    },

    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await query<UserRow>(
        em(),
        `SELECT ${COLUMNS} FROM users WHERE id IN (SELECT (jsonb_array_elements_text(?::jsonb))::uuid)`,
        [JSON.stringify(ids)],
      );
      return rows.map(toRecord);
    },

    async findForLogin(login) {
      const [row] = await query<UserRow & { password_hash: string }>(
        em(),
        `SELECT ${COLUMNS}, password_hash FROM users WHERE ${login.kind} = ?`,
        [login.value],
      );
      return row ? { user: toRecord(row), passwordHash: row.password_hash } : undefined;
    },

    async passwordHashOf(id) {
      const [row] = await query<{ password_hash: string }>(em(), 'SELECT password_hash FROM users WHERE id = ?', [id]);
      return row?.password_hash;
    },

    async list(filter, after, limit) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.query) {
        // position() matches the text literally: no LIKE wildcards to escape.
        conditions.push('position(? in search_text) > 0');
        params.push(filter.query.toLowerCase());
      }
      if (filter.role) {
        conditions.push('roles @> ?::jsonb');
        params.push(JSON.stringify([filter.role]));
      }
      if (filter.status) {
        conditions.push('status = ?');
        params.push(filter.status);
      }
      if (after) {
        conditions.push('(name, id) > (?, ?::uuid)');
        params.push(after.name, after.id);
      }
      params.push(limit);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      const rows = await query<UserRow>(em(), `SELECT ${COLUMNS} FROM users ${where} ORDER BY name, id LIMIT ?`, params);
      return rows.map(toRecord);
    },

    async create(user, now) {
      try {
        const [row] = await insert(user, now, '');
        return toRecord(row!);
      } catch (err) {
        throw takenError(err);
      }
    },

    async createIfAbsent(user, now) {
      const [row] = await insert(user, now, 'ON CONFLICT DO NOTHING');
      return row ? toRecord(row) : undefined;
    },

    async update(id, changes, now) {
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown, cast = '') => {
        sets.push(`${column} = ?${cast}`);
        params.push(value);
      };
      if ('username' in changes) set('username', changes.username);
      if ('email' in changes) set('email', changes.email);
      if ('nip' in changes) set('nip', changes.nip);
      if (changes.name !== undefined) set('name', changes.name);
      if (changes.roles !== undefined) set('roles', JSON.stringify(changes.roles), '::jsonb');
      if (changes.scope !== undefined) {
        set('area', changes.scope.area);
        set('region', changes.scope.region);
        set('unit', changes.scope.unit);
        set('approval_level', changes.scope.approvalLevel);
      }
      if (changes.status !== undefined) set('status', changes.status);
      set('updated_at', now.toISOString(), '::timestamptz');
      try {
        return await storeEm(orm).transactional(async (tem) => {
          const [row] = await query<UserRow>(tem, `UPDATE users SET ${sets.join(', ')} WHERE id = ? RETURNING ${COLUMNS}`, [...params, id]);
          if (!row) return undefined;
          const record = toRecord(row);
          // The search text follows the identifiers and name, whichever of them changed.
          await query(tem, 'UPDATE users SET search_text = ? WHERE id = ?', [searchTextOf(record), id]);
          return record;
        });
      } catch (err) {
        throw takenError(err);
      }
    },

    async setPasswordHash(id, passwordHash, now) {
      const rows = await query(em(), 'UPDATE users SET password_hash = ?, updated_at = ?::timestamptz WHERE id = ? RETURNING id', [
        passwordHash,
        now.toISOString(),
        id,
      ]);
      return rows.length > 0;
    },

    async unlock(id, now) {
      const [row] = await query<UserRow>(
        em(),
        `UPDATE users SET locked_until = NULL, failures_reset_at = ?::timestamptz, updated_at = ?::timestamptz WHERE id = ? RETURNING ${COLUMNS}`,
        [now.toISOString(), now.toISOString(), id],
      );
      return row ? toRecord(row) : undefined;
    },

    async statusOf(id) {
      const [row] = await query<{ status: UserStatusName }>(em(), 'SELECT status FROM users WHERE id = ?', [id]);
      return row?.status;
    },

    async anyWithRole(role) {
      const rows = await query<{ found: number }>(em(), 'SELECT 1 AS found FROM users WHERE roles @> ?::jsonb LIMIT 1', [JSON.stringify([role])]);
      return rows.length > 0;
    },
  };
}
