/**
 * Brute-force protection: `maxFailures` failed logins for one account within `window` lock it for
 * `lockDuration`. Attempts still being checked count as failures, so concurrent
 * guesses cannot slip past the limit while their passwords are being hashed.
 */
export interface LockoutPolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockMs: number;
}

/** Failed (or still pending) logins are counted from this instant on. */
export function failureWindowStart(now: Date, policy: LockoutPolicy, failuresResetAt: Date | null): Date {
  const windowStart = now.getTime() - policy.windowMs;
  return new Date(Math.max(windowStart, failuresResetAt?.getTime() ?? Number.NEGATIVE_INFINITY));
}

/** Whether the account must lock, given the failures (and pending attempts) counted in the window. */
export function mustLock(failuresInWindow: number, policy: LockoutPolicy): boolean {
  return failuresInWindow >= policy.maxFailures;
}

/** Whether a lock set earlier still holds at `now`. */
export function isLocked(lockedUntil: Date | null, now: Date): lockedUntil is Date {
  return lockedUntil !== null && lockedUntil.getTime() > now.getTime();
}
