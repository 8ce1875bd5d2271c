import type { User } from '@core/contracts/identity/v1';
import DataLoader from 'dataloader';
import type { IdentityClient } from './grpc.js';

/** User ids are UUIDs (any case). */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** BatchGetUsers accepts at most this many ids per call. */
const MAX_BATCH_IDS = 1000;

/**
 * Per-request loaders: every user reference of one tick (one query plan step) becomes one
 * BatchGetUsers call; ids the service does not know resolve to null.
 */
export function createLoaders(client: IdentityClient) {
  const users = new DataLoader<string, User | null>(
    async (ids) => {
      // BatchGetUsers refuses the whole batch for one malformed id; a reference that cannot name a
      // user (another subgraph's bad data) resolves to null on its own instead of failing the rest.
      const valid = [...new Set(ids.filter((id) => USER_ID.test(id)))];
      if (valid.length === 0) return ids.map(() => null);
      const { users: found } = await client.batchGetUsers({ ids: valid });
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
