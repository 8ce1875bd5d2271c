import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { failureWindowStart, isLocked, mustLock, type LockoutPolicy } from '../domain/lockout.js';
import { query, toDate, deleteInBatches, storeEm } from './sql.js';

/** Where a login attempt came from (peer address), for the attempt log. */
export type Remote = string | null;

/** The outcome of reserving an attempt: go ahead and check the password, or refuse (locked). */
export type Reservation = { readonly kind: 'reserved'; readonly attemptId: string } | { readonly kind: 'locked'; readonly until: Date };

/**
 * Login attempts and the account lock they drive. `reserve` and `finish` join the caller's audited
 * transaction when there is one (see `storeEm`), so a lock they write commits or rolls back with the
 * audit event that describes it.
 */
export interface LoginAttemptStore {
  /**
   * Atomically decides whether one more password check is allowed for the account: under a row
   * lock on the user, refuses when locked (locking it if the window is already full), otherwise
   * records a `pending` attempt that counts as a failure until it ends.
   */
  reserve(userId: string, login: string, remote: Remote, now: Date): Promise<Reservation>;
  /** Ends a reserved attempt; a failure that fills the window locks the account (returns the lock end). */
  finish(attemptId: string, userId: string, outcome: 'succeeded' | 'failed' | 'disabled', now: Date): Promise<Date | undefined>;
  /** Records an attempt for a login that names no account. */
  recordUnknown(login: string, remote: Remote, now: Date): Promise<void>;
  /** Deletes attempts older than `cutoff` (in bounded batches); returns how many. */
  purgeBefore(cutoff: Date): Promise<number>;
}

/** The login-attempt store with its lockout policy. */
export function createLoginAttemptStore(orm: MikroORM, policy: LockoutPolicy): LoginAttemptStore {
  const lockMs = policy.lockMs;

  const insertAttempt = (em: Parameters<typeof query>[0], id: string, userId: string | null, login: string, outcome: string, remote: Remote, now: Date) =>
    query(em, 'INSERT INTO login_attempts (id, user_id, login, attempted_at, outcome, remote) VALUES (?, ?, ?, ?::timestamptz, ?, ?)', [
      id,
      userId,
      login,
      now.toISOString(),
      outcome,
      remote,
    ]);

  /** Failures and pending attempts counted toward the lock, under the caller's row lock. */
  const failuresInWindow = async (em: Parameters<typeof query>[0], userId: string, from: Date): Promise<number> => {
    const [row] = await query<{ n: number | string }>(
      em,
      "SELECT count(*) AS n FROM login_attempts WHERE user_id = ? AND outcome IN ('failed', 'pending') AND attempted_at > ?::timestamptz",
      [userId, from.toISOString()],
    );
    return Number(row?.n ?? 0);
  };

  const lockUser = (em: Parameters<typeof query>[0], userId: string, now: Date) => {
    const until = new Date(now.getTime() + lockMs);
    // Failures before the lock are spent: after the lock the account gets a fresh window.
    return query(em, 'UPDATE users SET locked_until = ?::timestamptz, failures_reset_at = ?::timestamptz WHERE id = ?', [
      until.toISOString(),
      now.toISOString(),
      userId,
    ]).then(() => until);
  };

  const lockState = async (em: Parameters<typeof query>[0], userId: string) => {
    const [row] = await query<{ locked_until: Date | string | null; failures_reset_at: Date | string | null }>(
      em,
      'SELECT locked_until, failures_reset_at FROM users WHERE id = ? FOR UPDATE',
      [userId],
    );
    return { lockedUntil: toDate(row?.locked_until ?? null), failuresResetAt: toDate(row?.failures_reset_at ?? null) };
  };

  return {
    reserve(userId, login, remote, now) {
      return storeEm(orm).transactional(async (em): Promise<Reservation> => {
        const state = await lockState(em, userId);
        if (isLocked(state.lockedUntil, now)) {
          await insertAttempt(em, randomUUID(), userId, login, 'locked', remote, now);
          return { kind: 'locked', until: state.lockedUntil };
        }
        const counted = await failuresInWindow(em, userId, failureWindowStart(now, policy, state.failuresResetAt));
        if (mustLock(counted, policy)) {
          const until = await lockUser(em, userId, now);
          await insertAttempt(em, randomUUID(), userId, login, 'locked', remote, now);
          return { kind: 'locked', until };
        }
        const attemptId = randomUUID();
        await insertAttempt(em, attemptId, userId, login, 'pending', remote, now);
        return { kind: 'reserved', attemptId };
      });
    },

    finish(attemptId, userId, outcome, now) {
      return storeEm(orm).transactional(async (em) => {
        const state = await lockState(em, userId);
        await query(em, 'UPDATE login_attempts SET outcome = ? WHERE id = ?', [outcome, attemptId]);
        if (outcome === 'succeeded') {
          // A successful login starts the failure count afresh.
          await query(em, 'UPDATE users SET failures_reset_at = ?::timestamptz WHERE id = ?', [now.toISOString(), userId]);
          return undefined;
        }
        if (outcome !== 'failed' || isLocked(state.lockedUntil, now)) return undefined;
        const counted = await failuresInWindow(em, userId, failureWindowStart(now, policy, state.failuresResetAt));
        return mustLock(counted, policy) ? lockUser(em, userId, now) : undefined;
      });
    },

    purgeBefore: (cutoff) => deleteInBatches(orm, 'login_attempts', 'attempted_at < ?::timestamptz', [cutoff.toISOString()]),

    async recordUnknown(login, remote, now) {
      await insertAttempt(orm.em.fork(), randomUUID(), null, login, 'failed', remote, now);
    },
  };
}
