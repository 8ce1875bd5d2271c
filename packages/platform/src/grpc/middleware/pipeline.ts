import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { malformedRequestError } from '../malformed-request.js';
import { TIMEOUT_HEADER } from '../trace.js';
import { anonymousAuthenticator, identifyCaller, type Authenticator } from './auth.js';
import { StreamingCallContext, UnaryCallContext, type CallMethod, type ExtendedCallContext } from './call-context.js';
import { callDeadline } from './deadline.js';
import { toCallFailure } from './errors.js';
import { callOutcomeLog, statusName, type CallOutcomeLog, type RequestLoggingOptions } from './logging.js';
import { serverCallMetrics, type MethodMetrics } from './metrics.js';

/** Options of {@link createServerPipeline}. */
export interface ServerPipelineOptions extends RequestLoggingOptions {
  logger: Logger;
  metrics?: Metrics;
  authenticate?: Authenticator;
}

/** A unary handler as the server runs it: request and extended context in, response message out. */
export type UnaryImplementation = (request: unknown, context: UnaryCallContext) => Promise<unknown> | unknown;

/**
 * What every call of the services goes through, as one layer: request logging (lazy per-call
 * logger, W3C trace), Prometheus metrics, deadline, error mapping with rich details,
 * undecodable requests, authentication.
 */
export interface ServerPipeline {
  /** A grpc-js handler for a unary method: the pipeline and the implementation, no generator frames. */
  unary(path: string, implementation: UnaryImplementation): handleUnaryCall<unknown, unknown>;
  /** The same pipeline as one nice-grpc middleware, for streaming methods. */
  middleware<Req, Res>(call: ServerMiddlewareCall<Req, Res, ExtendedCallContext>, context: CallContext): AsyncGenerator<Res, Res | undefined, undefined>;
}

/** How a unary call ended: its response, or the failure it is answered with. */
type Outcome = { readonly failed: false; readonly response: unknown } | { readonly failed: true; readonly error: unknown };

/** One method's share of the pipeline, bound once when the service is added. */
interface MethodRoute extends CallMethod {
  readonly metrics: MethodMetrics | undefined;
  readonly outcome: CallOutcomeLog;
}

/** The status a unary call answers with after a failure (what nice-grpc's server does). */
function failureStatus(path: string, err: unknown, trailer: ReturnType<UnaryCallContext['finish']>) {
  if (err instanceof ServerError) return { code: err.code, details: err.details, metadata: trailer };
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError') return { code: Status.CANCELLED, details: 'The operation was cancelled', metadata: trailer };
  // Not reachable through the pipeline (every failure is mapped); kept as nice-grpc answers it.
  process.emitWarning(`${path}: Uncaught error in server implementation method. ${err instanceof Error ? err.stack : String(err)}`);
  return { code: Status.UNKNOWN, details: 'Unknown server error occurred', metadata: trailer };
}

/**
 * Builds the server's call pipeline. Unary calls — nearly all calls — run it as straight-line code
 * in one async function around the handler: no middleware generators, no per-call copies of the
 * context or the request metadata, no label objects, and the per-call logger, trace and abort
 * signal only when something reads them. Streaming calls run the same steps as one middleware.
 */
export function createServerPipeline(options: ServerPipelineOptions): ServerPipeline {
  const authenticate = options.authenticate ?? anonymousAuthenticator;
  const outcome = callOutcomeLog(options.logger, options);
  const metricsOf = options.metrics ? serverCallMetrics(options.metrics) : undefined;
  const routes = new Map<string, MethodRoute>();
  const routeOf = (path: string): MethodRoute => {
    let route = routes.get(path);
    if (!route) {
      route = { path, logger: options.logger, metrics: metricsOf?.(path), outcome };
      routes.set(path, route);
    }
    return route;
  };

  function succeeded(route: MethodRoute, context: ExtendedCallContext & CallContext, ms: number): void {
    route.metrics?.record('OK', ms / 1000);
    route.outcome.succeeded(context, ms);
  }

  function failed(route: MethodRoute, context: ExtendedCallContext & CallContext, err: unknown, ms: number): void {
    const code = statusName(err);
    route.metrics?.record(code, ms / 1000);
    route.outcome.failed(context, err, code, ms);
  }

  /** Answers the call, then records its outcome (the metrics and log line are not the caller's wait). */
  function answer(route: MethodRoute, context: UnaryCallContext, callback: sendUnaryData<unknown>, outcome: Outcome, ms: number): void {
    try {
      if (outcome.failed) {
        callback(failureStatus(route.path, outcome.error, context.finish()));
        failed(route, context, outcome.error, ms);
      } else {
        callback(null, outcome.response, context.finish());
        succeeded(route, context, ms);
      }
    } catch (err) {
      route.logger.error({ err, method: route.path }, 'answering a gRPC call or recording its outcome failed');
    }
  }

  /** Never rejects: every failure is answered as a status, or logged when even that fails. */
  async function serveUnary(
    route: MethodRoute,
    implementation: UnaryImplementation,
    call: ServerUnaryCall<unknown, unknown>,
    callback: sendUnaryData<unknown>,
  ): Promise<void> {
    const started = performance.now();
    const context = new UnaryCallContext(route, call);
    let outcome: Outcome;
    try {
      context.deadline = callDeadline(context.requestHeader(TIMEOUT_HEADER));
      try {
        const malformed = malformedRequestError(call.request);
        if (malformed) throw malformed;
        await identifyCaller(authenticate, context.metadata, context);
        const response = await implementation(call.request, context);
        if (response === undefined || response === null) throw new Error(`${route.path} returned no response message`);
        outcome = { failed: false, response };
      } catch (err) {
        throw toCallFailure(err, context);
      }
    } catch (err) {
      outcome = { failed: true, error: err };
    }
    answer(route, context, callback, outcome, performance.now() - started);
  }

  return {
    unary(path, implementation) {
      const route = routeOf(path);
      return (call, callback) => {
        void serveUnary(route, implementation, call, callback);
      };
    },

    async *middleware<Req, Res>(call: ServerMiddlewareCall<Req, Res, ExtendedCallContext>, base: CallContext) {
      const started = performance.now();
      const route = routeOf(call.method.path);
      const context = new StreamingCallContext(route, base);
      let result: Res | undefined;
      try {
        context.deadline = callDeadline(context.requestHeader(TIMEOUT_HEADER));
        try {
          const malformed = call.requestStream ? undefined : malformedRequestError(call.request);
          if (malformed) throw malformed;
          await identifyCaller(authenticate, context.metadata, context);
          // A streaming method's next() returns nothing; a unary one (never routed here) its response.
          result = (yield* call.next(call.request, context)) as Res | undefined;
        } catch (err) {
          throw toCallFailure(err, context);
        }
      } catch (err) {
        failed(route, context, err, performance.now() - started);
        throw err;
      }
      succeeded(route, context, performance.now() - started);
      return result;
    },
  };
}
