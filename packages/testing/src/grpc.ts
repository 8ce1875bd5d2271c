import { type DomainError, fromGrpcError } from '@core/platform';
import { expect } from 'vitest';

/** The domain error a call failed with, asserting it did fail, with a gRPC status that is not INTERNAL. */
export async function domainErrorOf(call: Promise<unknown>): Promise<DomainError> {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the call should have failed').toBeDefined();
  const domainError = fromGrpcError(caught);
  expect(domainError, `expected a domain error, got ${String(caught)}`).toBeDefined();
  return domainError!;
}
