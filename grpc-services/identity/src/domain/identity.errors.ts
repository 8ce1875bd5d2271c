import { type DomainError, unauthenticated } from '@core/platform';

/**
 * Wrong password, unknown account and malformed credentials all answer with this one message,
 * so a caller cannot tell which accounts exist.
 */
export function invalidCredentials(): DomainError {
  return unauthenticated('INVALID_CREDENTIALS', 'invalid login or password');
}

/**
 * A temporarily locked account. Deliberately UNAUTHENTICATED (the caller did not authenticate),
 * with its own reason so a person who mistyped can be told to wait. It is answered before any
 * password check, so it reveals only that the account exists and was attacked.
 */
export function accountLocked(lockedUntil: Date): DomainError {
  return unauthenticated('ACCOUNT_LOCKED', 'the account is temporarily locked after too many failed logins', {
    locked_until: lockedUntil.toISOString(),
  });
}

/** A disabled account; only answered after the right password, so it reveals nothing to guessers. */
export function accountDisabled(): DomainError {
  return unauthenticated('ACCOUNT_DISABLED', 'the account is disabled');
}

/** Unknown, expired, revoked or malformed refresh token: one answer for all. */
export function invalidRefreshToken(): DomainError {
  return unauthenticated('INVALID_REFRESH_TOKEN', 'the refresh token is not valid');
}

/** A spent refresh token presented again: its family has just been revoked. */
export function refreshTokenReused(): DomainError {
  return unauthenticated('REFRESH_TOKEN_REUSED', 'the refresh token was already used; the session has been revoked');
}

/** Unknown client, wrong secret or disabled client. */
export function invalidClient(): DomainError {
  return unauthenticated('INVALID_CLIENT', 'invalid client id or secret');
}
