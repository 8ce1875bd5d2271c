import type { CallContext, Metadata, ServerMiddlewareCall } from 'nice-grpc';

/** Who is calling, as established by an {@link Authenticator}. */
export type Caller = { subject: string; roles: string[]; token?: string; claims: Record<string, unknown> };

/**
 * The authentication seam: turns call metadata into a Caller, undefined for anonymous, or throws
 * an `unauthenticated(...)` DomainError for a bad credential.
 */
export type Authenticator = (metadata: Metadata) => Promise<Caller | undefined>;

/** Treats every call as anonymous; the identity service later supplies JWT verification. */
export const anonymousAuthenticator: Authenticator = async () => undefined;

/** Context added by {@link authMiddleware}. */
export interface AuthContext {
  caller?: Caller;
}

/** Resolves the caller once per call so handlers only check roles. */
export function authMiddleware(authenticate: Authenticator) {
  return async function* auth<Req, Res>(call: ServerMiddlewareCall<Req, Res, AuthContext>, context: CallContext) {
    const caller = await authenticate(context.metadata);
    return yield* call.next(call.request, { ...context, caller });
  };
}
