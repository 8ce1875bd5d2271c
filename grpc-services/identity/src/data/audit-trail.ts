import type { DomainError } from '@core/platform';
import { type AuditOrigin, recordAudit } from '@core/platform/audit';
import type { MikroORM } from '@mikro-orm/core';

/** The service name identity's audit events carry. */
export const AUDIT_SERVICE = 'identity';

/** What an audit event says beyond who called, from where and what action. */
export interface AuditDetails {
  readonly target?: { readonly type: string; readonly id: string };
  /** Values before the change (any object; secrets are redacted by the platform). */
  readonly before?: unknown;
  /** Values after the change (any object; secrets are redacted by the platform). */
  readonly after?: unknown;
  /** Who acted, when it is not the caller: a login or refresh acts as the user it signs in. */
  readonly actor?: { readonly subject: string; readonly name: string };
  /**
   * Set when a change commits although the request is refused (a reused refresh token revokes
   * its session): the event is recorded as failed with this reason.
   */
  readonly refusal?: DomainError;
}

/** The audit log of one call: its action and its origin, bound once. */
export interface AuditTrail {
  /**
   * Runs `change` in one transaction (the stores join it) together with the event `describe`
   * makes of its result; undefined records nothing (the change turned out to change nothing).
   * When `change` or the recording fails, both roll back.
   */
  committed<T>(change: () => Promise<T>, describe: (result: T) => AuditDetails | undefined): Promise<T>;
  /**
   * Records a refused attempt (wrong password, unknown client) in a transaction of its own: it
   * changed nothing an audited change would commit, yet who tried it matters.
   */
  refused(error: DomainError, details: AuditDetails): Promise<void>;
}

/** Dependencies of {@link createAuditTrail}. */
export interface AuditTrailDeps {
  readonly orm: MikroORM;
  readonly clock: () => Date;
}

/** The trail of one call of `action` (e.g. `identity.CreateUser`) from `origin`. */
export function createAuditTrail({ orm, clock }: AuditTrailDeps, origin: AuditOrigin, action: string): AuditTrail {
  const entry = (details: AuditDetails) => ({
    ...origin,
    ...(details.actor ? { actorSubject: details.actor.subject, actorName: details.actor.name } : {}),
    service: AUDIT_SERVICE,
    action,
    target: details.target,
    before: details.before,
    after: details.after,
    occurredAt: clock(),
    ...(details.refusal ? { outcome: 'failed' as const, failureReason: details.refusal.reason } : {}),
  });
  return {
    committed(change, describe) {
      return orm.em.fork().transactional(async (em) => {
        const result = await change();
        const details = describe(result);
        if (details) await recordAudit(em, entry(details));
        return result;
      });
    },
    async refused(error, details) {
      await orm.em.fork().transactional((em) => recordAudit(em, { ...entry(details), outcome: 'failed', failureReason: error.reason }));
    },
  };
}
