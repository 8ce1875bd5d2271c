import { Metadata } from 'nice-grpc';
import type { ServiceContext } from './server.js';
import { TRACEPARENT_HEADER } from './trace.js';

/**
 * The end client's address chain as the edge saw it (HTTP `x-forwarded-for`, same name in gRPC
 * metadata): the gateway appends the client's socket address, so the first entry is the client.
 */
export const FORWARDED_FOR_METADATA = 'x-forwarded-for';
/**
 * The end client's HTTP `user-agent` in gRPC metadata. Not `user-agent` itself: grpc-js replaces
 * that header with its own on every call.
 */
export const CLIENT_USER_AGENT_METADATA = 'x-client-user-agent';

/** Incoming headers that every downstream hop must see. */
export interface PropagatedHeaders {
  authorization?: string;
  traceparent?: string;
  tracestate?: string;
  /** The end client's address chain (`x-forwarded-for`), for the audit log. */
  forwardedFor?: string;
  /** The end client's user agent, for the audit log. */
  userAgent?: string;
}

/**
 * Metadata that carries the end user's bearer token, the trace and where the request came from
 * (client address and user agent) to a downstream service, so every hop authorises the same
 * caller, logs the same trace id and audits the same origin.
 */
export function propagationMetadata(headers: PropagatedHeaders): Metadata {
  const metadata = Metadata();
  if (headers.authorization) metadata.set('authorization', headers.authorization);
  if (headers.traceparent) metadata.set(TRACEPARENT_HEADER, headers.traceparent);
  if (headers.tracestate) metadata.set('tracestate', headers.tracestate);
  if (headers.forwardedFor) metadata.set(FORWARDED_FOR_METADATA, headers.forwardedFor);
  if (headers.userAgent) metadata.set(CLIENT_USER_AGENT_METADATA, headers.userAgent);
  return metadata;
}

/**
 * Call options for a downstream call made while handling `ctx`: the caller's remaining deadline,
 * its bearer token and this call's span as trace parent.
 */
export function downstreamCallOptions(ctx: ServiceContext): { deadline?: Date; metadata: Metadata } {
  const metadata = propagationMetadata({
    authorization: ctx.metadata.get('authorization'),
    traceparent: ctx.traceparent,
    tracestate: ctx.metadata.get('tracestate'),
    forwardedFor: ctx.metadata.get(FORWARDED_FOR_METADATA),
    userAgent: ctx.metadata.get(CLIENT_USER_AGENT_METADATA),
  });
  return ctx.deadline ? { deadline: ctx.deadline, metadata } : { metadata };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Node joins repeated `x-forwarded-for` headers with ", "; a list is joined the same way. */
function joinedHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * gRPC metadata carrying an HTTP (GraphQL) caller's bearer token, trace context, address chain
 * and user agent onward.
 */
export function metadataFromHttpHeaders(headers: Record<string, string | string[] | undefined>): Metadata {
  return propagationMetadata({
    authorization: firstHeader(headers.authorization),
    traceparent: firstHeader(headers.traceparent),
    tracestate: firstHeader(headers.tracestate),
    forwardedFor: joinedHeader(headers['x-forwarded-for']),
    userAgent: firstHeader(headers['user-agent']),
  });
}

/** Called once per outgoing gRPC call, e.g. `('MasterDataService', 'batchGetCustomers')`. */
export type GrpcCallListener = (service: string, method: string) => void;

/**
 * Binds a client to one incoming request: every call carries the request's metadata (unless the
 * call passes its own) and is reported to `onCall`, so calls per request are observable (the N+1
 * guard of the tests and benchmarks).
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
