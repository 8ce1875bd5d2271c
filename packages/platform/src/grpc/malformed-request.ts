import type { CompatServiceDefinition, ServiceDefinition } from 'nice-grpc';
import * as definitions from 'nice-grpc/lib/service-definitions/index.js';
import { invalidArgument, type DomainError } from '../errors.js';

// nice-grpc's server normalises every definition with this function; it is exported at runtime but
// missing from the package's type declarations.
const { normalizeServiceDefinition } = definitions as unknown as {
  normalizeServiceDefinition(definition: CompatServiceDefinition): ServiceDefinition;
};

const MALFORMED = Symbol('malformed request');

interface MalformedRequest {
  readonly [MALFORMED]: string;
}

function isMalformed(request: unknown): request is MalformedRequest {
  return typeof request === 'object' && request !== null && MALFORMED in request;
}

/**
 * grpc-js answers a request it cannot decode with INTERNAL ("Error deserializing request"), for
 * example an int64 beyond 2^53 in a field generated as a JS number. That is bad input, not a
 * server fault, so decoding failures are caught here and turned into INVALID_ARGUMENT by
 * {@link malformedRequestError} before any handler runs (unary and server-streaming methods).
 */
export function withTolerantDecoding(definition: CompatServiceDefinition): ServiceDefinition {
  const normalized = normalizeServiceDefinition(definition);
  const tolerant: ServiceDefinition = {};
  for (const [method, methodDefinition] of Object.entries(normalized)) {
    // Only single requests are checked before the handler runs; a stream's messages keep
    // grpc-js's own decoding, so no placeholder can ever reach a handler as a message.
    if (methodDefinition.requestStream) {
      tolerant[method] = methodDefinition;
      continue;
    }
    tolerant[method] = {
      ...methodDefinition,
      requestDeserialize(bytes: Uint8Array) {
        try {
          return methodDefinition.requestDeserialize(bytes);
        } catch (err) {
          return { [MALFORMED]: err instanceof Error ? err.message : String(err) } satisfies MalformedRequest;
        }
      },
    };
  }
  return tolerant;
}

/** The INVALID_ARGUMENT for a request that {@link withTolerantDecoding} could not decode; undefined for a decoded one. */
export function malformedRequestError(request: unknown): DomainError | undefined {
  if (!isMalformed(request)) return undefined;
  return invalidArgument('MALFORMED_REQUEST', `the request message could not be decoded: ${request[MALFORMED]}`);
}
