import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@core/platform';
import type { MikroORM } from '@mikro-orm/core';
import { query, toDate, toStringArray, uniqueViolation, storeEm } from './sql.js';

/** A service client without its secret. */
export interface ServiceClientRecord {
  readonly clientId: string;
  readonly displayName: string;
  readonly roles: string[];
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly disabled: boolean;
}

interface ClientRow {
  client_id: string;
  display_name: string;
  roles: unknown;
  created_at: Date | string;
  created_by: string;
  disabled_at: Date | string | null;
}

const COLUMNS = 'client_id, display_name, roles, created_at, created_by, disabled_at';

function toRecord(row: ClientRow): ServiceClientRecord {
  return {
    clientId: row.client_id,
    displayName: row.display_name,
    roles: toStringArray(row.roles),
    createdAt: toDate(row.created_at)!,
    createdBy: row.created_by,
    disabled: row.disabled_at !== null,
  };
}

/** Secrets are 256 random bits, so SHA-256 (not a slow password hash) protects them at rest. */
function hashOf(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Service clients (client-credentials identities). */
export interface ServiceClientStore {
  /** Registers a client with a fresh secret; returns the secret once. */
  create(client: { clientId: string; displayName: string; roles: readonly string[]; createdBy: string }, now: Date): Promise<{ client: ServiceClientRecord; secret: string }>;
  /** The client when the secret matches and it is enabled; undefined otherwise (in constant time per client). */
  authenticate(clientId: string, secret: string): Promise<ServiceClientRecord | undefined>;
  /** Whether the client exists and is enabled (token verification). */
  isActive(clientId: string): Promise<boolean>;
  list(afterClientId: string | undefined, limit: number): Promise<ServiceClientRecord[]>;
}

/** The service-client store. */
export function createServiceClientStore(orm: MikroORM): ServiceClientStore {
  const decoy = hashOf(randomBytes(32).toString('base64url'));
  return {
    async create(client, now) {
      const secret = randomBytes(32).toString('base64url');
      try {
        const [row] = await query<ClientRow>(
          storeEm(orm),
          `INSERT INTO service_clients (client_id, display_name, roles, secret_hash, created_at, created_by)
VALUES (?, ?, ?::jsonb, ?, ?::timestamptz, ?) RETURNING ${COLUMNS}`,
          [client.clientId, client.displayName, JSON.stringify(client.roles), hashOf(secret).toString('hex'), now.toISOString(), client.createdBy],
        );
        return { client: toRecord(row!), secret };
      } catch (err) {
        if (uniqueViolation(err) === undefined) throw err;
        throw new DomainError('ALREADY_EXISTS', 'SERVICE_CLIENT_ALREADY_EXISTS', 'a service client with this id exists', { field: 'client_id' }, [
          { field: 'client_id', description: 'already taken' },
        ]);
      }
    },

    async authenticate(clientId, secret) {
      const [row] = await query<ClientRow & { secret_hash: string }>(
        storeEm(orm),
        `SELECT ${COLUMNS}, secret_hash FROM service_clients WHERE client_id = ?`,
        [clientId],
      );
      const stored = row ? Buffer.from(row.secret_hash, 'hex') : decoy;
      const matches = stored.length === 32 && timingSafeEqual(stored, hashOf(secret));
      if (!row || !matches || row.disabled_at !== null) return undefined;
      return toRecord(row);
    },

    async isActive(clientId) {
      const [row] = await query<{ disabled_at: unknown }>(storeEm(orm), 'SELECT disabled_at FROM service_clients WHERE client_id = ?', [clientId]);
      return row !== undefined && row.disabled_at === null;
    },

    async list(afterClientId, limit) {
      const rows = afterClientId
        ? await query<ClientRow>(storeEm(orm), `SELECT ${COLUMNS} FROM service_clients WHERE client_id > ? ORDER BY client_id LIMIT ?`, [afterClientId, limit])
        : await query<ClientRow>(storeEm(orm), `SELECT ${COLUMNS} FROM service_clients ORDER BY client_id LIMIT ?`, [limit]);
      return rows.map(toRecord);
    },
  };
}
