import { invalidArgument, type FieldViolation } from '@core/platform';
import { isRole, type Role } from './roles.js';

/** Whether a user may sign in. */
export type UserStatusName = 'active' | 'disabled';

/** The part of the organisation a user acts for. Empty strings mean "not bound". */
export interface UserScope {
  readonly area: string;
  readonly region: string;
  readonly unit: string;
  /** 1 (lowest) to 6 (highest); null when the user approves nothing. */
  readonly approvalLevel: number | null;
}

/** How a login name is looked up: NIP (Nomor Induk Pegawai, employee number), email or username. */
export type LoginIdentifier = { readonly kind: 'nip' | 'email' | 'username'; readonly value: string };

export const MIN_APPROVAL_LEVEL = 1;
export const MAX_APPROVAL_LEVEL = 6;
/** Long enough for any email address (RFC 5321 path limit). */
export const MAX_LOGIN_LENGTH = 254;
export const MIN_PASSWORD_LENGTH = 8;
/** Bounds the work one request can make argon2 do. */
export const MAX_PASSWORD_LENGTH = 256;
const MAX_NAME_LENGTH = 200;
const MAX_SCOPE_LENGTH = 64;

const USERNAME = /^[a-z][a-z0-9._-]{2,63}$/;
const NIP = /^\d{3,30}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CONTROL = /\p{Cc}/u;

/**
 * Which account a login names: digits only is a NIP, anything with "@" an email address, the rest
 * a username. Usernames must start with a letter, so the three never overlap.
 */
export function classifyLogin(login: string): LoginIdentifier {
  const value = login.trim();
  if (/^\d+$/.test(value)) return { kind: 'nip', value };
  if (value.includes('@')) return { kind: 'email', value: value.toLowerCase() };
  return { kind: 'username', value: value.toLowerCase() };
}

/** Whether text holds control characters (NUL among them, which PostgreSQL text cannot store). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/** Checks the shape of login credentials (not their truth). */
export function checkCredentialsShape(login: string, password: string): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (login.trim() === '') violations.push({ field: 'login', description: 'required' });
  else if (login.length > MAX_LOGIN_LENGTH) violations.push({ field: 'login', description: `at most ${MAX_LOGIN_LENGTH} characters` });
  else if (CONTROL.test(login)) violations.push({ field: 'login', description: 'must not contain control characters' });
  if (password === '') violations.push({ field: 'password', description: 'required' });
  else if (password.length > MAX_PASSWORD_LENGTH) {
    violations.push({ field: 'password', description: `at most ${MAX_PASSWORD_LENGTH} characters` });
  }
  return violations;
}

/** Violations of a new password (length only: long passphrases beat composition rules). */
export function checkNewPassword(password: string, field: string): FieldViolation[] {
  if (password.length < MIN_PASSWORD_LENGTH) return [{ field, description: `at least ${MIN_PASSWORD_LENGTH} characters` }];
  if (password.length > MAX_PASSWORD_LENGTH) return [{ field, description: `at most ${MAX_PASSWORD_LENGTH} characters` }];
  return [];
}

/** A username, email or NIP: normalised, or null when empty. */
export interface Identifiers {
  readonly username: string | null;
  readonly email: string | null;
  readonly nip: string | null;
}

/** Normalises and checks the three login identifiers; at least one is required. */
export function normaliseIdentifiers(input: { username: string; email: string; nip: string }, violations: FieldViolation[]): Identifiers {
  const username = input.username.trim().toLowerCase() || null;
  const email = input.email.trim().toLowerCase() || null;
  const nip = input.nip.trim() || null;
  if (username !== null && !USERNAME.test(username)) {
    violations.push({ field: 'username', description: 'lowercase, starts with a letter, 3 to 64 of a-z 0-9 . _ -' });
  }
  if (email !== null && (email.length > MAX_LOGIN_LENGTH || !EMAIL.test(email) || CONTROL.test(email))) {
    violations.push({ field: 'email', description: 'not a valid email address' });
  }
  if (nip !== null && !NIP.test(nip)) violations.push({ field: 'nip', description: '3 to 30 digits' });
  if (username === null && email === null && nip === null) {
    violations.push({ field: 'username', description: 'at least one of username, email and nip is required' });
  }
  return { username, email, nip };
}

/** A display name: trimmed, 1 to 200 characters, no control characters. */
export function normaliseName(name: string, violations: FieldViolation[], field = 'name'): string {
  const trimmed = name.trim();
  if (trimmed === '') violations.push({ field, description: 'required' });
  else if (trimmed.length > MAX_NAME_LENGTH) violations.push({ field, description: `at most ${MAX_NAME_LENGTH} characters` });
  else if (CONTROL.test(trimmed)) violations.push({ field, description: 'must not contain control characters' });
  return trimmed;
}

/** Role names: each must be a known role; duplicates dropped; sorted. */
export function normaliseRoles(roles: readonly string[], violations: FieldViolation[], field = 'roles'): Role[] {
  const result = new Set<Role>();
  roles.forEach((role, index) => {
    if (isRole(role)) result.add(role);
    else violations.push({ field: `${field}[${index}]`, description: `unknown role '${role.slice(0, 64)}'` });
  });
  return [...result].sort();
}

/** A scope: trimmed codes of at most 64 characters, approval level 1 to 6 when set. */
export function normaliseScope(
  scope: { area: string; region: string; unit: string; approvalLevel?: number | undefined } | undefined,
  violations: FieldViolation[],
  field = 'scope',
): UserScope {
  const text = (value: string, name: string) => {
    const trimmed = value.trim();
    if (trimmed.length > MAX_SCOPE_LENGTH || CONTROL.test(trimmed)) {
      violations.push({ field: `${field}.${name}`, description: `at most ${MAX_SCOPE_LENGTH} printable characters` });
    }
    return trimmed;
  };
  const approvalLevel = scope?.approvalLevel ?? null;
  if (
    approvalLevel !== null &&
    (!Number.isInteger(approvalLevel) || approvalLevel < MIN_APPROVAL_LEVEL || approvalLevel > MAX_APPROVAL_LEVEL)
  ) {
    violations.push({
      field: `${field}.approval_level`,
      description: `between ${MIN_APPROVAL_LEVEL} and ${MAX_APPROVAL_LEVEL} when set, got ${approvalLevel}`,
    });
  }
  return {
    area: text(scope?.area ?? '', 'area'),
    region: text(scope?.region ?? '', 'region'),
    unit: text(scope?.unit ?? '', 'unit'),
    approvalLevel,
  };
}

/** Throws INVALID_ARGUMENT listing every violation, when there is any. */
export function throwIfViolations(violations: FieldViolation[], message = 'invalid request'): void {
  if (violations.length > 0) {
    throw invalidArgument(
      'INVALID_REQUEST',
      `${message}: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
      violations,
    );
  }
}

/** What a user's search matches: name, username, email and NIP, lowercased. */
export function searchTextOf(user: { name: string } & Identifiers): string {
  return [user.name, user.username, user.email, user.nip]
    .filter((part): part is string => Boolean(part))
    .join(' ')
    .toLowerCase();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a user id is a UUID (so a malformed id is INVALID_ARGUMENT, not a database error). */
export function requireUserId(id: string, field = 'id'): string {
  if (!UUID.test(id)) throw invalidArgument('INVALID_USER_ID', `${field} must be a UUID`, [{ field, description: 'must be a UUID' }]);
  return id.toLowerCase();
}

/** Whether `id` is a UUID. */
export function isUserId(id: string): boolean {
  return UUID.test(id);
}

const CLIENT_ID = /^[a-z][a-z0-9-]{2,62}$/;

/** Checks a service client id (it becomes part of token subjects: `service:<client_id>`). */
export function checkClientId(clientId: string, violations: FieldViolation[], field = 'client_id'): void {
  if (!CLIENT_ID.test(clientId)) violations.push({ field, description: 'lowercase, starts with a letter, 3 to 63 of a-z 0-9 -' });
}
