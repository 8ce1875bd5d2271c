import {
  createServer,
  type CallContext,
  type CompatServiceDefinition,
  type ServiceDefinition,
  type ServiceImplementation,
} from 'nice-grpc';
import { errorDetailsServerMiddleware } from 'nice-grpc-error-details';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { healthDescriptorSet, mergeDescriptorSets } from './health-descriptor.js';
import { malformedRequestMiddleware, withTolerantDecoding } from './malformed-request.js';
import { anonymousAuthenticator, authMiddleware, type AuthContext, type Authenticator } from './middleware/auth.js';
import { serverDeadlineMiddleware, type DeadlineContext } from './middleware/deadline.js';
import { errorMappingMiddleware } from './middleware/errors.js';
import { requestLoggingMiddleware, type LoggingContext } from './middleware/logging.js';
import { serverMetricsMiddleware } from './middleware/metrics.js';

export { anonymousAuthenticator, type Authenticator, type Caller } from './middleware/auth.js';

/** What the middleware adds to every handler's context. */
export type ServiceContextExt = LoggingContext & DeadlineContext & AuthContext;
/** The context a handler receives: nice-grpc's CallContext plus caller, logger, trace and deadline. */
export type ServiceContext = CallContext & ServiceContextExt;

/** Name under which health is reported for the whole server (gRPC health convention). */
const OVERALL = '';
const HEALTH_SERVICE = 'grpc.health.v1.Health';
const REFLECTION_SERVICE = 'grpc.reflection.v1.ServerReflection';

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  name: string;
  logger: Logger;
  metrics?: Metrics;
  authenticate?: Authenticator;
  /** FileDescriptorSet of the added services (`protoDescriptorSet()`); reflection is off without it. */
  descriptorSet?: Buffer | Uint8Array;
}

/** A gRPC server with the mesh's middleware, health and reflection. */
export interface GrpcServer {
  add<D extends CompatServiceDefinition>(definition: D, impl: ServiceImplementation<D, ServiceContextExt>): void;
  /** Binds 'host:port' (port 0 picks one), returns the port and reports every service SERVING. */
  listen(address: string): Promise<number>;
  /** Reports NOT_SERVING, stops accepting calls, lets in-flight calls finish for `graceMs`, then cancels the rest. */
  shutdown(graceMs?: number): Promise<void>;
  /** Overall health as the health service reports it. */
  readonly health: HealthState;
}

function fullName(definition: CompatServiceDefinition): string | undefined {
  if ('fullName' in definition && typeof definition.fullName === 'string') return definition.fullName;
  // grpc-js style definitions have no name of their own; take it from any method path '/pkg.Svc/M'.
  const first = Object.values(definition)[0] as { path?: string } | undefined;
  return first?.path?.split('/')[1];
}

/**
 * Creates the server every service runs. Middleware, outermost first: request logging (trace id),
 * Prometheus metrics, deadline, rich error details, error mapping, undecodable requests,
 * authentication. Health and
 * reflection bypass the middleware: probes must not need credentials or flood the log.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { logger } = options;
  const base = createServer({
    // Bounded so one slow client cannot keep a replica from draining on rollout.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  const health = HealthState();
  const serviceNames: string[] = [];
  const pipeline = base.with(requestLoggingMiddleware(logger));
  const withMetrics = options.metrics ? pipeline.with(serverMetricsMiddleware(options.metrics)) : pipeline;
  const app = withMetrics
    .with(serverDeadlineMiddleware)
    .with(errorDetailsServerMiddleware)
    .with(errorMappingMiddleware)
    .with(malformedRequestMiddleware)
    .with(authMiddleware(options.authenticate ?? anonymousAuthenticator));
  base.add(HealthDefinition, HealthServiceImpl(health));
  let listening = false;

  return {
    health,
    add(definition, impl) {
      if (listening) throw new Error('add services before listen()');
      const name = fullName(definition);
      if (name) serviceNames.push(name);
      app.add(withTolerantDecoding(definition), impl as ServiceImplementation<ServiceDefinition, ServiceContextExt>);
    },
    async listen(address) {
      if (options.descriptorSet) {
        const descriptors = mergeDescriptorSets(options.descriptorSet, healthDescriptorSet());
        base.add(ServerReflectionService, ServerReflection(descriptors, [...serviceNames, HEALTH_SERVICE, REFLECTION_SERVICE]));
      }
      listening = true;
      const port = await base.listen(address);
      health.setStatus('healthy', OVERALL);
      for (const name of serviceNames) health.setStatus('healthy', name);
      logger.info({ port, services: serviceNames }, `${options.name} gRPC server listening`);
      return port;
    },
    async shutdown(graceMs = 10_000) {
      health.setStatus('unhealthy', OVERALL);
      for (const name of serviceNames) health.setStatus('unhealthy', name);
      let timer: NodeJS.Timeout | undefined;
      const graceful = base.shutdown().then(() => 'drained' as const);
      const expired = new Promise<'forced'>((resolve) => {
        timer = setTimeout(() => resolve('forced'), graceMs);
      });
      const outcome = await Promise.race([graceful, expired]);
      clearTimeout(timer);
      if (outcome === 'forced') {
        logger.warn({ graceMs }, 'in-flight gRPC calls outlived the grace period; cancelling them');
        base.forceShutdown();
        await graceful;
      }
      logger.info(`${options.name} gRPC server stopped`);
    },
  };
}
