import type { Metadata } from 'nice-grpc';
import { DomainError } from '../../errors.js';

/** Who is calling, as established by an {@link Authenticator}. */
export type Caller = { subject: string; roles: string[]; token?: string; claims: Record<string, unknown> };

/**
 * The authentication seam: turns call metadata into a Caller, undefined for anonymous (no
 * credential), or throws an `unauthenticated(...)` DomainError for a credential it refuses.
 */
export type Authenticator = (metadata: Metadata) => Promise<Caller | undefined>;

/** Treats every call as anonymous (tests of the platform itself; services configure a verifier). */
export const anonymousAuthenticator: Authenticator = async () => undefined;

/** Context the server adds to every call (see {@link identifyCaller}). */
export interface AuthContext {
  /** The verified caller; undefined when the call carried no credential or a refused one. */
  caller?: Caller;
  /**
   * Why a presented credential was refused (UNAUTHENTICATED). The call still reaches the handler
   * as anonymous, so public RPCs (sign in, refresh) work with a stale token attached; every RPC
   * that needs a caller answers with this refusal.
   */
  authRefusal?: DomainError;
}

/**
 * Resolves the caller once per call, so handlers only check roles: sets `context.caller`. A
 * credential the authenticator refuses (an UNAUTHENTICATED DomainError) leaves the call anonymous
 * with `context.authRefusal` set; any other failure of the authenticator fails the call.
 */
export async function identifyCaller(authenticate: Authenticator, metadata: Metadata, context: AuthContext): Promise<void> {
  try {
    context.caller = await authenticate(metadata);
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'UNAUTHENTICATED') throw err;
    context.authRefusal = err;
  }
}
