import {
  MasterDataServiceDefinition,
  type MasterDataServiceClient,
  SyncServiceDefinition,
  type SyncServiceClient,
} from '@core/contracts/masterdata/v1';
import { createGrpcClient, type GrpcCallOptions, propagationMetadata } from '@core/platform';
import type { Metadata } from 'nice-grpc-common';

/** Called once per outgoing gRPC call, e.g. `('MasterDataService', 'batchGetBranches')`. */
export type GrpcCallListener = (service: string, method: string) => void;

/** The master-data read client as resolvers use it. */
export type MasterDataClient = MasterDataServiceClient<GrpcCallOptions>;
/** The sync operations client as resolvers use it. */
export type SyncClient = SyncServiceClient<GrpcCallOptions>;

/** The long-lived channels to the master-data service; one per subgraph process. */
export interface MasterDataChannels {
  readonly masterData: MasterDataClient;
  readonly sync: SyncClient;
  close(): void;
}

/** Opens both service clients on one address (deadlines, retries of reads and keepalive come from the platform). */
export function openMasterDataChannels(address: string): MasterDataChannels {
  const masterData = createGrpcClient(MasterDataServiceDefinition, address);
  const sync = createGrpcClient(SyncServiceDefinition, address);
  return {
    masterData: masterData.client as MasterDataClient,
    sync: sync.client as SyncClient,
    close() {
      masterData.close();
      sync.close();
    },
  };
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
 * Binds a client to one GraphQL request: every call carries the request's metadata and is reported
 * to `onCall`, so call counts per request are observable (the N+1 guard of the tests and bench).
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
