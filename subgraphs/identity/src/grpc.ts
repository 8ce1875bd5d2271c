import { IdentityServiceDefinition, type IdentityServiceClient } from '@core/contracts/identity/v1';
import { createGrpcClient, type GrpcCallOptions, propagationMetadata } from '@core/platform';
import type { Metadata } from 'nice-grpc-common';

/** Called once per outgoing gRPC call, e.g. `('IdentityService', 'batchGetUsers')`. */
export type GrpcCallListener = (service: string, method: string) => void;

/** The identity client as resolvers use it. */
export type IdentityClient = IdentityServiceClient<GrpcCallOptions>;

/** The long-lived channel to the identity service; one per subgraph process. */
export interface IdentityChannel {
  readonly identity: IdentityClient;
  close(): void;
}

/** Opens the identity client (deadlines, retries of idempotent RPCs and keepalive come from the platform). */
export function openIdentityChannel(address: string): IdentityChannel {
  const { client, close } = createGrpcClient(IdentityServiceDefinition, address);
  return { identity: client as IdentityClient, close };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** gRPC metadata carrying the GraphQL caller's bearer token and trace context onward. */
export function propagatedMetadata(headers: Record<string, string | string[] | undefined>): Metadata {
  return propagationMetadata({
    authorization: firstHeader(headers.authorization),
    traceparent: firstHeader(headers.traceparent),
    tracestate: firstHeader(headers.tracestate),
  });
}

/**
 * Binds the client to one GraphQL request: every call carries the request's metadata (unless the
 * call passes its own) and is reported to `onCall`, so call counts per request are observable.
 */
export function bindClient<C extends object>(client: C, service: string, metadata: Metadata, onCall: GrpcCallListener): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (request: unknown, options?: { metadata?: Metadata }) => {
        onCall(service, property);
        return (value as (request: unknown, options: unknown) => unknown).call(target, request, {
          ...options,
          metadata: options?.metadata ?? metadata,
        });
      };
    },
  });
}
