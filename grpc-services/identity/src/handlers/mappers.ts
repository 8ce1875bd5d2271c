import { UserStatus, type ServiceClient, type User } from '@core/contracts/identity/v1';
import type { ServiceClientRecord } from '../data/service-client.store.js';
import type { UserRecord } from '../data/user.store.js';
import type { UserStatusName } from '../domain/user.rules.js';

/** A stored user as the proto message. */
export function toUserMessage(user: UserRecord): User {
  return {
    id: user.id,
    username: user.username ?? '',
    email: user.email ?? '',
    nip: user.nip ?? '',
    name: user.name,
    roles: user.roles,
    scope: {
      area: user.scope.area,
      region: user.scope.region,
      unit: user.scope.unit,
      approvalLevel: user.scope.approvalLevel ?? undefined,
    },
    status: user.status === 'active' ? UserStatus.USER_STATUS_ACTIVE : UserStatus.USER_STATUS_DISABLED,
    lockedUntil: user.lockedUntil ?? undefined,
    createTime: user.createdAt,
    updateTime: user.updatedAt,
  };
}

/** A proto status as the stored one; undefined for UNSPECIFIED (and unknown numbers). */
export function fromUserStatus(status: UserStatus): UserStatusName | undefined {
  if (status === UserStatus.USER_STATUS_ACTIVE) return 'active';
  if (status === UserStatus.USER_STATUS_DISABLED) return 'disabled';
  return undefined;
}

/** A stored service client as the proto message. */
export function toServiceClientMessage(client: ServiceClientRecord): ServiceClient {
  return {
    clientId: client.clientId,
    displayName: client.displayName,
    roles: client.roles,
    createTime: client.createdAt,
    createdBy: client.createdBy,
  };
}
