import { Metadata } from 'nice-grpc';
import type { ServiceContext } from './server.js';
import { TRACEPARENT_HEADER } from './trace.js';

/** Incoming headers that every downstream hop must see. */
export interface PropagatedHeaders {
  authorization?: string;
  traceparent?: string;
  tracestate?: string;
}

/**
 * Metadata that carries the end user's bearer token and the trace to a downstream service, so
 * every hop authorises the same caller and logs the same trace id.
 */
export function propagationMetadata(headers: PropagatedHeaders): Metadata {
  const metadata = Metadata();
  if (headers.authorization) metadata.set('authorization', headers.authorization);
  if (headers.traceparent) metadata.set(TRACEPARENT_HEADER, headers.traceparent);
  if (headers.tracestate) metadata.set('tracestate', headers.tracestate);
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
  });
  return ctx.deadline ? { deadline: ctx.deadline, metadata } : { metadata };
}
