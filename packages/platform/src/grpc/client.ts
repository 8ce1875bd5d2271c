import {
  ChannelCredentials,
  createChannel,
  createClientFactory,
  type Client,
  type CompatServiceDefinition,
  type Metadata,
} from 'nice-grpc';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware, type RetryOptions } from 'nice-grpc-client-middleware-retry';
import { errorDetailsClientMiddleware } from 'nice-grpc-error-details';
import type { Logger } from '../logger.js';
import { clientDefaultsMiddleware, timeoutHeaderMiddleware } from './middleware/client.js';

/** Options of {@link createGrpcClient}. */
export interface GrpcClientOptions {
  /** Deadline of each call unless the call passes `deadline`; default 5000 ms. */
  deadlineMs?: number;
  /** Extra attempts on UNAVAILABLE for NO_SIDE_EFFECTS/IDEMPOTENT methods only; default 3. */
  retries?: number;
  /** Per-call metadata to propagate (bearer token, traceparent); call-level metadata wins. */
  metadata?: () => Metadata | undefined;
  /** Keepalive ping interval; default 30000 ms. */
  keepaliveMs?: number;
  /** Logs retries when given. */
  logger?: Logger;
}

/** Per-call options the client accepts besides nice-grpc's own (signal, metadata, …). */
export type GrpcCallOptions = DeadlineOptions & RetryOptions;

/** A client and the way to close its channel. */
export interface GrpcClient<D extends CompatServiceDefinition> {
  client: Client<D, GrpcCallOptions>;
  close(): void;
}

/**
 * A client for service-to-service calls. The channel balances round-robin over every address the
 * name resolves to, so `dns:///svc-headless:port` spreads load over all pods instead of pinning
 * one HTTP/2 connection. Middleware, outermost first: defaults and propagation, deadline, retry
 * (idempotent methods only, on UNAVAILABLE), per-attempt timeout headers, rich error details.
 */
export function createGrpcClient<D extends CompatServiceDefinition>(
  definition: D,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<D> {
  const channel = createChannel(address, ChannelCredentials.createInsecure(), {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    'grpc.keepalive_time_ms': options.keepaliveMs ?? 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  // nice-grpc invokes the client middleware attached last first, so this list reads innermost first.
  const client = createClientFactory()
    .use(errorDetailsClientMiddleware)
    .use(timeoutHeaderMiddleware)
    .use(retryMiddleware)
    .use(deadlineMiddleware)
    .use(
      clientDefaultsMiddleware({
        deadlineMs: options.deadlineMs ?? 5_000,
        retries: options.retries ?? 3,
        metadata: options.metadata,
        logger: options.logger,
      }),
    )
    .create(definition, channel);
  return { client: client as unknown as Client<D, GrpcCallOptions>, close: () => channel.close() };
}
