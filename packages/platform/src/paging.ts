import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { invalidArgument } from './errors.js';

/**
 * Development-only signing secret. Every replica of a service must share one secret, so production
 * sets PAGE_TOKEN_SECRET (see `pagingConfig`); a per-process random default would break paging
 * as soon as a load balancer sends page 2 to another replica.
 */
export const DEV_PAGE_TOKEN_SECRET = 'core-dev-page-token-secret';

let defaultSecret = DEV_PAGE_TOKEN_SECRET;

/**
 * Sets the secret used when a call passes none. Services call it once at start with
 * `config.PAGE_TOKEN_SECRET` (from `pagingConfig`).
 */
export function setPageTokenSecret(secret: string): void {
  defaultSecret = secret;
}

function sign(body: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * An AIP-158 opaque page token: base64url JSON plus an HMAC-SHA256 tag, so clients cannot forge a
 * cursor into a position (or filter) they were never given.
 */
export function encodePageToken(payload: object, secret: string = defaultSecret): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(body, secret).toString('base64url')}`;
}

const badToken = (description: string) =>
  invalidArgument('INVALID_PAGE_TOKEN', 'page_token is not a token this service issued', [
    { field: 'page_token', description },
  ]);

/**
 * Verifies and decodes a token from {@link encodePageToken}. Any tampering, truncation or a payload
 * that no longer matches `schema` is the caller's mistake: INVALID_ARGUMENT 'INVALID_PAGE_TOKEN'.
 */
export function decodePageToken<T>(token: string, schema: z.ZodType<T>, secret: string = defaultSecret): T {
  const [body, tag, extra] = token.split('.');
  if (!body || !tag || extra !== undefined) throw badToken('malformed token');
  const expected = sign(body, secret);
  const actual = Buffer.from(tag, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw badToken('signature mismatch');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw badToken('malformed token');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badToken('token does not fit this request');
  return parsed.data;
}

/** Bounds of {@link resolvePageSize}. */
export interface PageSizeBounds {
  defaultSize: number;
  maxSize: number;
  /** Field name reported in the violation; 'page_size' by default. */
  field?: string;
}

/**
 * AIP-158 page size: 0 (unset) means the default; negative or above the maximum is rejected rather
 * than silently clamped, so a client learns its request was not honoured.
 */
export function resolvePageSize(requested: number, { defaultSize, maxSize, field = 'page_size' }: PageSizeBounds): number {
  if (requested === 0) return defaultSize;
  if (!Number.isInteger(requested) || requested < 0 || requested > maxSize) {
    throw invalidArgument('PAGE_SIZE_OUT_OF_RANGE', `${field} must be between 0 and ${maxSize}`, [
      { field, description: `must be between 0 and ${maxSize}, got ${requested}` },
    ]);
  }
  return requested;
}
