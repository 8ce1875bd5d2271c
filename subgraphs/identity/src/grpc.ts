import { IdentityServiceDefinition, type IdentityServiceClient } from '@core/contracts/identity/v1';
import { createGrpcClient, type GrpcCallOptions } from '@core/platform';

/** The identity client as resolvers use it. */
export type IdentityClient = IdentityServiceClient<GrpcCallOptions>;

/** The long-lived channel to the identity service; one per subgraph process. */
export interface IdentityChannel {
  readonly identity: IdentityClient;
  close(): void;
}

/** Opens the identity client (deadlines, retries of idempotent RPCs and keepalive come from the platform). */
export function openIdentityChannel(address: string): IdentityChannel {
  const { client, close } = createGrpcClient(IdentityServiceDefinition, address);
  return { identity: client as IdentityClient, close };
}

