import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { CallContext, CompatServiceDefinition, ServiceDefinition, ServiceImplementation } from 'nice-grpc';
import * as definitions from 'nice-grpc/lib/service-definitions/index.js';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { healthDescriptorSet, mergeDescriptorSets } from './health-descriptor.js';
import { withTolerantDecoding } from './malformed-request.js';
import type { AuthContext, Authenticator } from './middleware/auth.js';
import type { DeadlineContext } from './middleware/deadline.js';
import type { LoggingContext } from './middleware/logging.js';
import { createServerPipeline } from './middleware/pipeline.js';
import { pipelineService, plainService, type GrpcJsService } from './server-methods.js';

// See malformed-request.ts: exported at runtime, missing from the type declarations.
const { normalizeServiceDefinition } = definitions as unknown as {
  normalizeServiceDefinition(definition: CompatServiceDefinition): ServiceDefinition;
};

export { anonymousAuthenticator, type AuthContext, type Authenticator, type Caller } from './middleware/auth.js';

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

/** Bounded so one slow client cannot keep a replica from draining on rollout. */
const SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
};

/**
 * Creates the server every service runs. Every call of an added service goes through one pipeline
 * (middleware/pipeline.ts): request logging (trace id), Prometheus metrics, deadline, error mapping
 * with rich details, undecodable requests, authentication. Unary methods run it directly on
 * grpc-js's call, streaming methods as nice-grpc middleware. Health and reflection bypass it:
 * probes must not need credentials or flood the log.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { logger } = options;
  const pipeline = createServerPipeline(options);
  const health = HealthState();
  const serviceNames: string[] = [];
  const services: GrpcJsService[] = [plainService(normalizeServiceDefinition(HealthDefinition), HealthServiceImpl(health))];
  let server: Server | undefined;
  let stopped: Promise<void> | undefined;

  async function stop(running: Server, graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceful = new Promise<'drained'>((resolve, reject) =>
      running.tryShutdown((err) => (err ? reject(err) : resolve('drained'))),
    );
    const expired = new Promise<'forced'>((resolve) => {
      timer = setTimeout(() => resolve('forced'), graceMs);
    });
    const outcome = await Promise.race([graceful, expired]);
    clearTimeout(timer);
    if (outcome === 'forced') {
      logger.warn({ graceMs }, 'in-flight gRPC calls outlived the grace period; cancelling them');
      running.forceShutdown();
      await graceful;
    }
    logger.info(`${options.name} gRPC server stopped`);
  }

  return {
    health,
    add(definition, impl) {
      if (server) throw new Error('add services before listen()');
      const name = fullName(definition);
      if (name) serviceNames.push(name);
      services.push(pipelineService(withTolerantDecoding(definition), impl, pipeline));
    },
    async listen(address) {
      if (server) throw new Error('listen() has been called already');
      if (options.descriptorSet) {
        const descriptors = mergeDescriptorSets(options.descriptorSet, healthDescriptorSet());
        const reflection = ServerReflection(descriptors, [...serviceNames, HEALTH_SERVICE, REFLECTION_SERVICE]);
        services.push(plainService(normalizeServiceDefinition(ServerReflectionService), reflection));
      }
      const started = new Server(SERVER_OPTIONS);
      for (const service of services) started.addService(service.definition, service.handlers);
      const port = await new Promise<number>((resolve, reject) => {
        started.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
      });
      server = started;
      health.setStatus('healthy', OVERALL);
      for (const name of serviceNames) health.setStatus('healthy', name);
      logger.info({ port, services: serviceNames }, `${options.name} gRPC server listening`);
      return port;
    },
    async shutdown(graceMs = 10_000) {
      health.setStatus('unhealthy', OVERALL);
      for (const name of serviceNames) health.setStatus('unhealthy', name);
      if (!server) return;
      stopped ??= stop(server, graceMs);
      await stopped;
    },
  };
}
