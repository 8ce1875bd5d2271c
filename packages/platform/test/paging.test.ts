import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, decodePageToken, encodePageToken, resolvePageSize } from '../src/index.js';

const cursor = z.object({ after: z.string(), filter: z.string() });
const secret = 'paging-test-secret-0123456789';

function rejection(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('page tokens', () => {
  it('round-trips a cursor', () => {
    const token = encodePageToken({ after: 'CUST-0042', filter: 'branch=JKT' }, secret);
    expect(decodePageToken(token, cursor, secret)).toEqual({ after: 'CUST-0042', filter: 'branch=JKT' });
  });

  it('rejects a token whose payload was edited', () => {
    const token = encodePageToken({ after: 'CUST-0042', filter: 'branch=JKT' }, secret);
    const [, tag] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ after: 'CUST-9999', filter: 'branch=JKT' })).toString('base64url')}.${tag}`;
    const err = rejection(() => decodePageToken(forged, cursor, secret));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.reason).toBe('INVALID_PAGE_TOKEN');
    expect(err.fieldViolations[0]?.field).toBe('page_token');
  });

  it('rejects garbage, a token signed with another secret and one of another shape', () => {
    const other = encodePageToken({ after: 'x', filter: '' }, 'another-secret-0123456789');
    const shape = encodePageToken({ offset: 10 }, secret);
    for (const token of ['', 'abc', 'a.b.c', other, shape]) {
      expect(rejection(() => decodePageToken(token, cursor, secret)).reason).toBe('INVALID_PAGE_TOKEN');
    }
  });
});

describe('resolvePageSize', () => {
  const bounds = { defaultSize: 50, maxSize: 500 };
  it('uses the default for 0 and accepts sizes up to the maximum', () => {
    expect(resolvePageSize(0, bounds)).toBe(50);
    expect(resolvePageSize(1, bounds)).toBe(1);
    expect(resolvePageSize(500, bounds)).toBe(500);
  });

  it('rejects negative and too large sizes with a field violation', () => {
    for (const size of [-1, 501]) {
      const err = rejection(() => resolvePageSize(size, { ...bounds, field: 'first' }));
      expect(err.reason).toBe('PAGE_SIZE_OUT_OF_RANGE');
      expect(err.fieldViolations).toEqual([{ field: 'first', description: expect.stringContaining('500') }]);
    }
  });
});
