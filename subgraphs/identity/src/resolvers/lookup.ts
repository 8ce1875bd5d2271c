import { UserStatus } from '@core/contracts/identity/v1';
import { fromGrpcError } from '@core/platform';

/** Runs a Get RPC and turns NOT_FOUND into null: a missing user is an answer, not an error, for a nullable field. */
export async function getOrNull<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (fromGrpcError(err)?.code === 'NOT_FOUND') return null;
    throw err;
  }
}

/** GraphQL `UserStatus` ↔ proto `UserStatus`. */
export const USER_STATUS = {
  ACTIVE: UserStatus.USER_STATUS_ACTIVE,
  DISABLED: UserStatus.USER_STATUS_DISABLED,
} as const;

/** The GraphQL name of a proto user status. */
export function statusName(status: UserStatus): keyof typeof USER_STATUS {
  if (status === UserStatus.USER_STATUS_ACTIVE) return 'ACTIVE';
  if (status === UserStatus.USER_STATUS_DISABLED) return 'DISABLED';
  throw new Error(`unexpected user status ${status} from the identity service`);
}
