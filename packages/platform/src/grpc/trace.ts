import { randomUUID } from 'node:crypto';

/** W3C trace context header, propagated on every hop so one trace id spans edge → services. */
export const TRACEPARENT_HEADER = 'traceparent';
/**
 * Remaining time budget of a call in milliseconds, sent next to the standard `grpc-timeout`.
 * grpc-js consumes `grpc-timeout` before handlers see metadata, so this copy is how a handler
 * learns its deadline and passes the rest of it downstream.
 */
export const TIMEOUT_HEADER = 'core-timeout-ms';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Random lowercase hex from `randomUUID`, which draws from a pooled entropy buffer: a per-call
 * `randomBytes` costs a system call on every request. A v4 UUID has 122 random bits; its fixed
 * version and variant digits are left out of span ids and kept in trace ids (still 120+ random
 * bits, and W3C only asks for randomness, not for every bit of it).
 */
function newTraceId(): string {
  const uuid = randomUUID();
  const id = uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
  return id === ZERO_TRACE_ID ? newTraceId() : id;
}

function newSpanId(): string {
  const uuid = randomUUID();
  // The first group and part of the last: all random digits ('xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx').
  const id = uuid.slice(0, 8) + uuid.slice(24, 32);
  return id === ZERO_SPAN_ID ? newSpanId() : id;
}

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
  const valid = match !== null && match[1] !== 'ff' && traceId !== ZERO_TRACE_ID && match[3] !== ZERO_SPAN_ID;
  return {
    traceId: valid && traceId ? traceId : newTraceId(),
    spanId: newSpanId(),
    sampled: valid ? (Number.parseInt(match[4] ?? '0', 16) & 1) === 1 : true,
  };
}

/** Formats a TraceContext as the `traceparent` header value for outgoing calls. */
export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? '01' : '00'}`;
}
