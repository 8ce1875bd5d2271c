import type { MethodDefinition as GrpcJsMethodDefinition, UntypedHandleCall } from '@grpc/grpc-js';
import type { ServerMiddleware, ServiceDefinition } from 'nice-grpc';
import * as bidiStreaming from 'nice-grpc/lib/server/handleBidiStreamingCall.js';
import * as clientStreaming from 'nice-grpc/lib/server/handleClientStreamingCall.js';
import * as serverStreaming from 'nice-grpc/lib/server/handleServerStreamingCall.js';
import * as unary from 'nice-grpc/lib/server/handleUnaryCall.js';
import type { ServerPipeline, UnaryImplementation } from './middleware/pipeline.js';

type AnyMethod = ServiceDefinition[string];
type Implementation = (...args: never[]) => unknown;
type HandlerFactory = (definition: AnyMethod, implementation: Implementation, middleware?: ServerMiddleware) => UntypedHandleCall;

// nice-grpc's own per-call handlers (the ones its createServer uses), exported at runtime but not
// in the package's type declarations. They serve health, reflection and streaming methods.
const { createUnaryMethodHandler } = unary as unknown as { createUnaryMethodHandler: HandlerFactory };
const { createServerStreamingMethodHandler } = serverStreaming as unknown as { createServerStreamingMethodHandler: HandlerFactory };
const { createClientStreamingMethodHandler } = clientStreaming as unknown as { createClientStreamingMethodHandler: HandlerFactory };
const { createBidiStreamingMethodHandler } = bidiStreaming as unknown as { createBidiStreamingMethodHandler: HandlerFactory };

/** A service as grpc-js registers it. */
export interface GrpcJsService {
  definition: Record<string, GrpcJsMethodDefinition<unknown, unknown>>;
  handlers: Record<string, UntypedHandleCall>;
}

/** Protobuf bytes as a Buffer over the same memory (the encoder's output is a fresh array, not shared). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Responses marked by {@link reusableResponse}: frozen, so their encoding never changes. */
const reusable = new WeakSet<object>();

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || value instanceof Date || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

/**
 * Marks a response object that a handler returns again and again unchanged (e.g. one made once per
 * cached record): it is deep-frozen here, and each method that sends it encodes it once and then
 * reuses the bytes for as long as the object lives (grpc-js copies them into every frame). Only
 * for values that are complete messages of the method's response type; Dates and byte arrays
 * inside cannot be frozen and must not be changed either.
 */
export function reusableResponse<T extends object>(value: T): T {
  deepFreeze(value);
  reusable.add(value);
  return value;
}

function toGrpcJsMethod(method: AnyMethod): GrpcJsMethodDefinition<unknown, unknown> {
  // Per method: a reusable object is only ever encoded as this method's response type.
  const encoded = new WeakMap<object, Buffer>();
  return {
    path: method.path,
    requestStream: method.requestStream,
    responseStream: method.responseStream,
    requestSerialize: (value) => asBuffer(method.requestSerialize(value)),
    requestDeserialize: (bytes) => method.requestDeserialize(bytes),
    responseSerialize: (value) => {
      if (typeof value !== 'object' || value === null || !reusable.has(value)) return asBuffer(method.responseSerialize(value));
      let bytes = encoded.get(value);
      if (bytes === undefined) {
        bytes = asBuffer(method.responseSerialize(value));
        encoded.set(value, bytes);
      }
      return bytes;
    },
    responseDeserialize: (bytes) => method.responseDeserialize(bytes),
  };
}

function niceHandler(method: AnyMethod, implementation: Implementation, middleware?: ServerMiddleware): UntypedHandleCall {
  if (!method.requestStream) {
    return method.responseStream
      ? createServerStreamingMethodHandler(method, implementation, middleware)
      : createUnaryMethodHandler(method, implementation, middleware);
  }
  return method.responseStream
    ? createBidiStreamingMethodHandler(method, implementation, middleware)
    : createClientStreamingMethodHandler(method, implementation, middleware);
}

function implementationOf(implementation: object, name: string, path: string): Implementation {
  const method = (implementation as Record<string, unknown>)[name];
  if (typeof method !== 'function') throw new Error(`no implementation of ${path}`);
  return method.bind(implementation) as Implementation;
}

/**
 * A service's methods for grpc-js: unary methods run the platform pipeline directly on grpc-js's
 * call; streaming methods run nice-grpc's handlers with the same pipeline as their middleware.
 */
export function pipelineService(definition: ServiceDefinition, implementation: object, pipeline: ServerPipeline): GrpcJsService {
  const service: GrpcJsService = { definition: {}, handlers: {} };
  for (const [name, method] of Object.entries(definition)) {
    const bound = implementationOf(implementation, name, method.path);
    service.definition[name] = toGrpcJsMethod(method);
    service.handlers[name] =
      method.requestStream || method.responseStream
        ? niceHandler(method, bound, pipeline.middleware as ServerMiddleware)
        : (pipeline.unary(method.path, bound as UnaryImplementation) as UntypedHandleCall);
  }
  return service;
}

/** A service served by nice-grpc's handlers without middleware (health, reflection). */
export function plainService(definition: ServiceDefinition, implementation: object): GrpcJsService {
  const service: GrpcJsService = { definition: {}, handlers: {} };
  for (const [name, method] of Object.entries(definition)) {
    service.definition[name] = toGrpcJsMethod(method);
    service.handlers[name] = niceHandler(method, implementationOf(implementation, name, method.path));
  }
  return service;
}
