import { ServerError, Status } from 'nice-grpc';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testLogger } from '@core/testing';
import {
  DomainError,
  aborted,
  invalidArgument,
  notFound,
  toGraphQLError,
  toServerError,
  unavailable,
  validationError,
} from '../src/index.js';

const logger = testLogger();

describe('toServerError', () => {
  it('keeps the code and message of a DomainError', () => {
    const err = toServerError(notFound('UNKNOWN_ENTITY', 'no entity "X"', { entity: 'X' }), logger);
    expect(err.code).toBe(Status.NOT_FOUND);
    expect(err.details).toBe('no entity "X"');
  });

  it('hides anything unexpected behind INTERNAL', () => {
    const err = toServerError(new Error('password=hunter2 at db.internal'), logger);
    expect(err.code).toBe(Status.INTERNAL);
    expect(err.details).toBe('internal error');
  });

  it('passes a ServerError through unchanged', () => {
    const original = new ServerError(Status.UNIMPLEMENTED, 'later');
    expect(toServerError(original, logger)).toBe(original);
  });

  it('reports a zod failure as INVALID_ARGUMENT, not INTERNAL', () => {
    const parsed = z.object({ entity: z.string().min(1) }).safeParse({ entity: '' });
    expect(parsed.success).toBe(false);
    const err = toServerError(parsed.error, logger);
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
  });
});

describe('validationError', () => {
  it('lists one field violation per zod issue with the field path', () => {
    const schema = z.object({ pageSize: z.number().int().min(0), filter: z.object({ branch: z.string() }) });
    const parsed = schema.safeParse({ pageSize: -1, filter: { branch: 3 } });
    if (parsed.success) throw new Error('expected a failure');
    const err = validationError(parsed.error);
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['filter.branch', 'pageSize']);
  });
});

describe('toGraphQLError', () => {
  it.each([
    [invalidArgument('BAD', 'bad', [{ field: 'code', description: 'empty' }]), 'BAD_USER_INPUT'],
    [notFound('MISSING', 'gone'), 'NOT_FOUND'],
    [aborted('BUSY', 'busy'), 'CONFLICT'],
    [unavailable('DOWN', 'down'), 'UNAVAILABLE'],
    [new DomainError('PERMISSION_DENIED', 'NO_ROLE', 'no'), 'FORBIDDEN'],
    [new DomainError('RESOURCE_EXHAUSTED', 'QUOTA', 'slow down'), 'RATE_LIMITED'],
  ])('maps %s to %s with reason and field violations', (error, code) => {
    const gql = toGraphQLError(error);
    expect(gql.extensions.code).toBe(code);
    expect(gql.extensions.reason).toBe(error.reason);
    expect(gql.extensions.fieldViolations).toEqual(error.fieldViolations);
    expect(gql.message).toBe(error.message);
  });

  it('never leaks an unexpected error', () => {
    const gql = toGraphQLError(new TypeError('cannot read x of undefined'), logger);
    expect(gql.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(gql.message).toBe('Internal server error');
  });
});
