import { randomBytes } from 'node:crypto';

/** W3C trace context header, propagated on every hop so one trace id spans edge → services. */
export const TRACEPARENT_HEADER = 'traceparent';
/**
 * Remaining time budget of a call in milliseconds, sent next to the standard `grpc-timeout`.
 * grpc-js consumes `grpc-timeout` before handlers see metadata, so this copy is how a handler
 * learns its deadline and passes the rest of it downstream.
 */
export const TIMEOUT_HEADER = 'core-timeout-ms';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The parts of a W3C traceparent this mesh uses. */
export interface TraceContext {
  traceId: string;
  /** Span of this hop; downstream calls name it as their parent. */
  spanId: string;
  sampled: boolean;
}

/**
 * Continues the caller's trace when `traceparent` is valid, otherwise starts a new one: a new span
 * id either way, since this hop is a new span.
 */
export function continueTrace(traceparent: string | undefined): TraceContext {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const traceId = match?.[2];
  const valid = match !== null && match[1] !== 'ff' && traceId !== '0'.repeat(32) && match[3] !== '0'.repeat(16);
  return {
    traceId: valid && traceId ? traceId : randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    sampled: valid ? (Number.parseInt(match[4] ?? '0', 16) & 1) === 1 : true,
  };
}

/** Formats a TraceContext as the `traceparent` header value for outgoing calls. */
export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? '01' : '00'}`;
}
