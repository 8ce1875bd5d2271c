import type { User } from '@core/contracts/identity/v1';
import DataLoader from 'dataloader';
import type { IdentityClient } from './grpc.js';

/** BatchGetUsers accepts at most this many ids per call. */
const MAX_BATCH_IDS = 1000;

/**
 * Per-request loaders: every user reference of one tick (one query plan step) becomes one
 * BatchGetUsers call; ids the service does not know resolve to null.
 */
export function createLoaders(client: IdentityClient) {
  const users = new DataLoader<string, User | null>(
    async (ids) => {
      const { users: found } = await client.batchGetUsers({ ids: [...ids] });
      // The service stores ids lowercase; references may carry any case.
      const byId = new Map(found.map((user) => [user.id.toLowerCase(), user]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    },
    { maxBatchSize: MAX_BATCH_IDS },
  );
  return { users };
}

/** The loaders of one request. */
export type Loaders = ReturnType<typeof createLoaders>;
