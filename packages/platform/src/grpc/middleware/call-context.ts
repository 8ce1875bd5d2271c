import { Metadata as GrpcJsMetadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { Metadata, type CallContext } from 'nice-grpc';
import type { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { continueTrace, formatTraceparent, TRACEPARENT_HEADER, type TraceContext } from '../trace.js';
import type { AuthContext, Caller } from './auth.js';
import type { DeadlineContext } from './deadline.js';
import type { LoggingContext } from './logging.js';
import { requestHeader, requestMetadata } from './metadata-view.js';

/** What a call's context needs of its method: the logger its lines go to and the method path. */
export interface CallMethod {
  readonly path: string;
  readonly logger: Logger;
}

/**
 * The part of a handler's context the server adds to nice-grpc's CallContext: deadline, caller,
 * logger and trace. The trace and the per-call logger are made on first use: most calls succeed
 * without logging or calling downstream, and a pino child (bindings serialised) and two random ids
 * per call are measurable at thousands of calls per second.
 */
export abstract class ExtendedCallContext implements LoggingContext, DeadlineContext, AuthContext {
  deadline: Date | undefined = undefined;
  caller: Caller | undefined = undefined;
  authRefusal: DomainError | undefined = undefined;
  readonly #method: CallMethod;
  #trace: TraceContext | undefined;
  #traceparent: string | undefined;
  #logger: Logger | undefined;

  constructor(method: CallMethod) {
    this.#method = method;
  }

  /** One request header as text, as `metadata.get(key)` gives it. */
  abstract requestHeader(key: string): string | undefined;

  #traceContext(): TraceContext {
    this.#trace ??= continueTrace(this.requestHeader(TRACEPARENT_HEADER));
    return this.#trace;
  }

  get traceId(): string {
    return this.#traceContext().traceId;
  }

  get traceparent(): string {
    this.#traceparent ??= formatTraceparent(this.#traceContext());
    return this.#traceparent;
  }

  get logger(): Logger {
    this.#logger ??= this.#method.logger.child({ method: this.#method.path, traceId: this.traceId });
    return this.#logger;
  }
}

function isEmpty(metadata: Metadata): boolean {
  for (const _ of metadata) return false;
  return true;
}

/** nice-grpc metadata as grpc-js sends it (what nice-grpc's own server does). */
function toGrpcJs(metadata: Metadata): GrpcJsMetadata {
  const converted = new GrpcJsMetadata();
  for (const [key, values] of metadata) {
    for (const value of values) converted.add(key, typeof value === 'string' ? value : Buffer.from(value));
  }
  return converted;
}

/**
 * The context of a unary call, read straight from grpc-js's call object. It offers everything
 * nice-grpc's CallContext offers, made when first used rather than on every call: the request
 * metadata view, response header and trailer, and the abort signal.
 */
export class UnaryCallContext extends ExtendedCallContext implements CallContext {
  readonly #call: ServerUnaryCall<unknown, unknown>;
  #metadata: Metadata | undefined;
  #header: Metadata | undefined;
  #headerSent = false;
  #trailer: Metadata | undefined;
  #abort: AbortController | undefined;
  #finished = false;

  constructor(method: CallMethod, call: ServerUnaryCall<unknown, unknown>) {
    super(method);
    this.#call = call;
  }

  requestHeader(key: string): string | undefined {
    return requestHeader(this.#call.metadata, key);
  }

  get metadata(): Metadata {
    this.#metadata ??= requestMetadata(this.#call.metadata);
    return this.#metadata;
  }

  get peer(): string {
    return this.#call.getPeer();
  }

  get header(): Metadata {
    this.#header ??= Metadata();
    return this.#header;
  }

  sendHeader(): void {
    if (this.#headerSent) return;
    this.#headerSent = true;
    if (this.#header && !isEmpty(this.#header)) this.#call.sendMetadata(toGrpcJs(this.#header));
  }

  get trailer(): Metadata {
    this.#trailer ??= Metadata();
    return this.#trailer;
  }

  /**
   * Aborted once the call is cancelled (the client gave up or its deadline passed) while the
   * handler runs; a call cancelled before the signal is first read starts aborted.
   */
  get signal(): AbortSignal {
    if (!this.#abort) {
      const abort = new AbortController();
      this.#abort = abort;
      if (this.#call.cancelled) abort.abort();
      else if (!this.#finished) {
        this.#call.once('cancelled', () => {
          if (!this.#finished) abort.abort();
        });
      }
    }
    return this.#abort.signal;
  }

  /** Ends the handler's part: sends the header if not sent yet, returns the trailer for grpc-js. */
  finish(): GrpcJsMetadata | undefined {
    this.#finished = true;
    this.sendHeader();
    return this.#trailer && !isEmpty(this.#trailer) ? toGrpcJs(this.#trailer) : undefined;
  }
}

/** The context of a streaming call: nice-grpc's CallContext of the call, extended. */
export class StreamingCallContext extends ExtendedCallContext implements CallContext {
  readonly #base: CallContext;

  constructor(method: CallMethod, base: CallContext) {
    super(method);
    this.#base = base;
  }

  requestHeader(key: string): string | undefined {
    const value = this.#base.metadata.get(key);
    return typeof value === 'string' ? value : undefined;
  }

  get metadata(): Metadata {
    return this.#base.metadata;
  }

  get peer(): string {
    return this.#base.peer;
  }

  get header(): Metadata {
    return this.#base.header;
  }

  sendHeader(): void {
    this.#base.sendHeader();
  }

  get trailer(): Metadata {
    return this.#base.trailer;
  }

  get signal(): AbortSignal {
    return this.#base.signal;
  }
}
