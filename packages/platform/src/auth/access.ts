import { type DomainError, permissionDenied, unauthenticated } from '../errors.js';
import type { AuthContext, Caller } from '../grpc/middleware/auth.js';
import { SERVICE_SUBJECT_PREFIX } from './verifier.js';

/**
 * Who may call an operation, declared once per RPC:
 * - `public`: anyone, token or not;
 * - `signed-in`: any verified token (a person or a service identity);
 * - `user`: a verified token of a person, not a service identity;
 * - `roles`: a verified token holding at least one of the roles;
 * plus an optional scope check on the request (area, region, unit, approval level).
 */
export type AccessRule =
  | { readonly kind: 'public' }
  | { readonly kind: 'signed-in' }
  | { readonly kind: 'user' }
  | { readonly kind: 'roles'; readonly roles: readonly string[]; readonly scope?: ScopeCheck };

/** A request-dependent scope check: undefined when allowed, otherwise the PERMISSION_DENIED to answer. */
export type ScopeCheck = (caller: Caller, scope: CallerScope, request: unknown) => DomainError | undefined;

/** Constructors for {@link AccessRule}s, so access tables read as declarations. */
export const Access = {
  public: { kind: 'public' } as AccessRule,
  signedIn: { kind: 'signed-in' } as AccessRule,
  user: { kind: 'user' } as AccessRule,
  /** Holders of any of `roles`; `scope` narrows further by the request. */
  roles: (roles: readonly string[], scope?: ScopeCheck): AccessRule => {
    if (roles.length === 0) throw new Error('Access.roles needs at least one role');
    return { kind: 'roles', roles, scope };
  },
} as const;

/** Where a caller may act, from the token's scope claims (DESIGN §4.2); absent parts are unbound. */
export interface CallerScope {
  readonly level?: number;
  readonly unit?: string;
  readonly area?: string;
  readonly region?: string;
}

/** The scope claims of a caller. */
export function scopeOf(caller: Caller): CallerScope {
  const { level, unit, area, region } = caller.claims;
  return {
    level: typeof level === 'number' && Number.isInteger(level) ? level : undefined,
    unit: typeof unit === 'string' ? unit : undefined,
    area: typeof area === 'string' ? area : undefined,
    region: typeof region === 'string' ? region : undefined,
  };
}

/** Whether the caller is a service identity (client-credentials token). */
export function isServiceCaller(caller: Caller): boolean {
  return caller.subject.startsWith(SERVICE_SUBJECT_PREFIX);
}

/** The refusal for a call without a (valid) token: the token's own refusal when one was presented. */
export function authenticationRequired(context: AuthContext): DomainError {
  return context.authRefusal ?? unauthenticated('AUTHENTICATION_REQUIRED', 'this call needs a bearer token');
}

/**
 * Checks `rule` for the call and returns the caller (undefined only for public rules without a
 * token). Throws UNAUTHENTICATED without a valid token, PERMISSION_DENIED without the right.
 */
export function authorize(rule: AccessRule, context: AuthContext, request?: unknown): Caller | undefined {
  if (rule.kind === 'public') return context.caller;
  const { caller } = context;
  if (!caller) throw authenticationRequired(context);
  if (rule.kind === 'user' && isServiceCaller(caller)) {
    throw permissionDenied('USER_REQUIRED', 'this call needs a signed-in person, not a service identity');
  }
  if (rule.kind === 'roles') {
    if (!rule.roles.some((role) => caller.roles.includes(role))) {
      const needed = rule.roles.join(' or ');
      throw permissionDenied('ROLE_REQUIRED', `this call needs the ${needed} role`, { role: rule.roles.join(',') });
    }
    const refusal = rule.scope?.(caller, scopeOf(caller), request);
    if (refusal) throw refusal;
  }
  return caller;
}

/** An access table: one rule per operation of `Impl`; the type demands every operation. */
export type AccessTable<Impl> = { readonly [K in keyof Impl]-?: AccessRule };

/**
 * Wraps every handler of a service implementation with its declared rule, checked before the
 * handler runs. Unary handlers and streaming handlers alike receive `(request, context)`.
 */
export function guardService<Impl extends object>(impl: Impl, table: AccessTable<Impl>): Impl {
  const guarded: Record<string, unknown> = {};
  for (const name of Object.keys(table) as (keyof Impl & string)[]) {
    const handler = impl[name] as unknown;
    if (typeof handler !== 'function') throw new Error(`access table names ${name}, which the implementation lacks`);
    const rule = table[name];
    const call = handler as (request: unknown, context: AuthContext) => unknown;
    guarded[name] =
      handler.constructor.name === 'AsyncGeneratorFunction'
        ? async function* guardedStream(request: unknown, context: AuthContext) {
            authorize(rule, context, request);
            return yield* call.call(impl, request, context) as AsyncIterable<unknown>;
          }
        : async function guardedUnary(request: unknown, context: AuthContext) {
            authorize(rule, context, request);
            return call.call(impl, request, context);
          };
  }
  for (const name of Object.keys(impl)) {
    if (!(name in guarded)) throw new Error(`operation ${name} has no declared access rule`);
  }
  return guarded as Impl;
}

/** A short description of a rule for logs, docs and matrix tests. */
export function describeAccess(rule: AccessRule): string {
  return rule.kind === 'roles' ? `roles:${rule.roles.join('|')}${rule.scope ? '+scope' : ''}` : rule.kind;
}
