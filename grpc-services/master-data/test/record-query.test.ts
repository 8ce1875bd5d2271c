import { DomainError } from '@core/platform';
import { describe, expect, it } from 'vitest';
import { requireEntity } from '../src/domain/catalogue.js';
import { parseKey } from '../src/domain/record-query.js';

const customer = requireEntity('customer');

function refusal(values: string[]): DomainError {
  try {
    parseKey(customer, values);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`${JSON.stringify(values)} was accepted`);
}

describe('key validation', () => {
  it('gives every spelling of a numeric id the text the mirror keys it by', () => {
    const canonical = (text: string) => parseKey(customer, [text])[0];
    expect(['100231', '007', ' 42 ', '1e3', '12.50', '999999999999999'].map(canonical)).toEqual([
      '100231',
      '7',
      '42',
      '1000',
      '12.5',
      '999999999999999',
    ]);
    // Beyond a double's exact integers the id is read as Number reads it, as the mirror wrote it.
    expect(canonical('12345678901234567')).toBe(String(Number('12345678901234567')));
  });

  it('refuses ids that are not numbers, empty ids and control characters, naming the key field', () => {
    for (const text of ['abc', '', '   ', '12\u0000', '1'.repeat(201)]) {
      const err = refusal([text]);
      expect([err.code, err.reason, err.fieldViolations[0]?.field]).toEqual(['INVALID_ARGUMENT', 'INVALID_KEY', 'key[0]']);
    }
    expect(refusal(['1', '2']).reason).toBe('KEY_ARITY_MISMATCH');
  });
});
