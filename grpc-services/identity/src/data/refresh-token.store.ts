import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { UserStatusName } from '../domain/user.rules.js';
import { query, toDate, storeEm, deleteInBatches } from './sql.js';

/** A newly issued refresh token: the opaque value (given to the client once) and its expiry. */
export interface IssuedRefreshToken {
  readonly token: string;
  readonly expiresAt: Date;
  /** The rotation family: one login session, whatever token of it is current. */
  readonly familyId: string;
}

/** What presenting a refresh token led to. */
export type Rotation =
  | { readonly kind: 'rotated'; readonly userId: string; readonly next: IssuedRefreshToken }
  /** Unknown, expired or revoked. */
  | { readonly kind: 'invalid' }
  /** Already spent: the family is now revoked. */
  | { readonly kind: 'reused'; readonly userId: string; readonly familyId: string }
  /** The user is disabled: the family is now revoked. */
  | { readonly kind: 'disabled'; readonly userId: string; readonly familyId: string };

/** Refresh tokens, stored only as SHA-256 hashes. */
export interface RefreshTokenStore {
  /** Starts a new family (a login). */
  issue(userId: string, now: Date): Promise<IssuedRefreshToken>;
  /** Spends `token` and issues its successor in one transaction, detecting reuse. */
  rotate(token: string, now: Date): Promise<Rotation>;
  /** Revokes the family of `token` (logout); undefined when the token is unknown. */
  revokeFamilyOf(token: string, now: Date, reason: string): Promise<{ readonly userId: string; readonly familyId: string } | undefined>;
  /** Revokes every live token of a user (password change, disabling). */
  revokeAllOf(userId: string, now: Date, reason: string): Promise<number>;
  /**
   * Deletes tokens that expired before `cutoff` (in bounded batches); returns how many. An expired
   * token is refused whatever its row says, so reuse detection loses nothing once it has expired.
   */
  purgeExpiredBefore(cutoff: Date): Promise<number>;
}

/** 256 random bits, base64url: guessing is hopeless, so a fast hash is enough for storage. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether a string could be one of our refresh tokens (cheap pre-check before the database). */
export function looksLikeRefreshToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/** The refresh-token store; tokens live `ttlMs`. */
export function createRefreshTokenStore(orm: MikroORM, ttlMs: number): RefreshTokenStore {
  const insert = async (
    em: Parameters<typeof query>[0],
    userId: string,
    familyId: string,
    parentId: string | null,
    now: Date,
  ): Promise<IssuedRefreshToken> => {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttlMs);
    await query(
      em,
      `INSERT INTO refresh_tokens (id, token_hash, family_id, parent_id, user_id, issued_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz)`,
      [randomUUID(), hashOf(token), familyId, parentId, userId, now.toISOString(), expiresAt.toISOString()],
    );
    return { token, expiresAt, familyId };
  };

  const revokeFamily = (em: Parameters<typeof query>[0], familyId: string, now: Date, reason: string) =>
    query(em, 'UPDATE refresh_tokens SET revoked_at = ?::timestamptz, revoked_reason = ? WHERE family_id = ? AND revoked_at IS NULL', [
      now.toISOString(),
      reason,
      familyId,
    ]);

  return {
    issue(userId, now) {
      return insert(storeEm(orm), userId, randomUUID(), null, now);
    },

    async rotate(token, now) {
      if (!looksLikeRefreshToken(token)) return { kind: 'invalid' };
      // The row lock makes two concurrent presentations of one token see each other: one rotates,
      // the other finds it spent and revokes the family.
      return storeEm(orm).transactional(async (em): Promise<Rotation> => {
        const [row] = await query<{
          id: string;
          family_id: string;
          user_id: string;
          expires_at: Date | string;
          used_at: Date | string | null;
          revoked_at: Date | string | null;
          status: UserStatusName;
        }>(
          em,
          `SELECT t.id, t.family_id, t.user_id, t.expires_at, t.used_at, t.revoked_at, u.status
FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? FOR UPDATE OF t`,
          [hashOf(token)],
        );
        if (!row || row.revoked_at !== null) return { kind: 'invalid' };
        if (row.used_at !== null) {
          await revokeFamily(em, row.family_id, now, 'reuse detected');
          return { kind: 'reused', userId: row.user_id, familyId: row.family_id };
        }
        if (toDate(row.expires_at)!.getTime() <= now.getTime()) return { kind: 'invalid' };
        if (row.status !== 'active') {
          await revokeFamily(em, row.family_id, now, 'user disabled');
          return { kind: 'disabled', userId: row.user_id, familyId: row.family_id };
        }
        await query(em, 'UPDATE refresh_tokens SET used_at = ?::timestamptz WHERE id = ?', [now.toISOString(), row.id]);
        const next = await insert(em, row.user_id, row.family_id, row.id, now);
        return { kind: 'rotated', userId: row.user_id, next };
      });
    },

    async revokeFamilyOf(token, now, reason) {
      if (!looksLikeRefreshToken(token)) return undefined;
      return storeEm(orm).transactional(async (em) => {
        const [row] = await query<{ family_id: string; user_id: string }>(em, 'SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ?', [
          hashOf(token),
        ]);
        if (!row) return undefined;
        await revokeFamily(em, row.family_id, now, reason);
        return { userId: row.user_id, familyId: row.family_id };
      });
    },

    purgeExpiredBefore: (cutoff) => deleteInBatches(orm, 'refresh_tokens', 'expires_at < ?::timestamptz', [cutoff.toISOString()]),

    async revokeAllOf(userId, now, reason) {
      const rows = await query(
        storeEm(orm),
        'UPDATE refresh_tokens SET revoked_at = ?::timestamptz, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING id',
        [now.toISOString(), reason, userId],
      );
      return rows.length;
    },
  };
}
