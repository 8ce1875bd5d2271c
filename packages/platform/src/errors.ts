import { GraphQLError } from 'graphql';
import { ClientError, ServerError, Status } from 'nice-grpc';
import { BadRequest, ErrorInfo, RichClientError, RichServerError } from 'nice-grpc-error-details';
import type { ZodError } from 'zod';
import type { Logger } from './logger.js';

/** The gRPC status names a domain rule may fail with; INTERNAL is deliberately absent (it means a bug). */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED';

/** One bad request field, as in google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** The ErrorInfo domain every error of this mesh carries, so clients can tell ours from proxies'. */
export const ERROR_DOMAIN = 'core';

/**
 * An expected failure of a domain rule. Handlers throw it; the gRPC error middleware maps it to a
 * status with rich details exactly once, and the GraphQL edge maps it to `extensions.code`.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    /** UPPER_SNAKE machine-readable cause, e.g. 'UNKNOWN_ENTITY' (google.rpc.ErrorInfo.reason). */
    readonly reason: string,
    message: string,
    readonly metadata: Record<string, string> = {},
    readonly fieldViolations: FieldViolation[] = [],
  ) {
    super(message);
  }
}

/** The request is malformed; list every offending field so the caller can fix all at once. */
export function invalidArgument(reason: string, message: string, fieldViolations: FieldViolation[] = []): DomainError {
  return new DomainError('INVALID_ARGUMENT', reason, message, {}, fieldViolations);
}

type Factory = (reason: string, message: string, metadata?: Record<string, string>) => DomainError;
const factory =
  (code: ErrorCode): Factory =>
  (reason, message, metadata = {}) =>
    new DomainError(code, reason, message, metadata);

/** The addressed resource does not exist. */
export const notFound = factory('NOT_FOUND');
/** The resource the caller tried to create exists already. */
export const alreadyExists = factory('ALREADY_EXISTS');
/** The system is not in the state the operation needs (retrying the same call will not help). */
export const failedPrecondition = factory('FAILED_PRECONDITION');
/** A concurrency conflict (lock held, version mismatch); retrying later may succeed. */
export const aborted = factory('ABORTED');
/** No valid credentials were presented. */
export const unauthenticated = factory('UNAUTHENTICATED');
/** The caller is known but not allowed to do this. */
export const permissionDenied = factory('PERMISSION_DENIED');
/** A dependency is down; the call may be retried. */
export const unavailable = factory('UNAVAILABLE');
/** A quota or rate limit was hit. */
export const resourceExhausted = factory('RESOURCE_EXHAUSTED');
/** The work could not finish within the caller's deadline. */
export const deadlineExceeded = factory('DEADLINE_EXCEEDED');

/**
 * Turns a failed zod parse of request input into INVALID_ARGUMENT with one field violation per
 * issue, so bad input is reported field by field and never surfaces as INTERNAL.
 */
export function validationError(error: ZodError, reason = 'INVALID_REQUEST'): DomainError {
  const fieldViolations = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(request)',
    description: issue.message,
  }));
  const summary = fieldViolations.map((v) => `${v.field}: ${v.description}`).join('; ');
  return invalidArgument(reason, `invalid request: ${summary}`, fieldViolations);
}

function isZodError(err: unknown): err is ZodError {
  return err instanceof Error && err.name === 'ZodError' && Array.isArray((err as ZodError).issues);
}

/**
 * Maps anything a handler threw to the ServerError the client will see. DomainErrors carry
 * ErrorInfo + BadRequest details; unknown errors become a bare INTERNAL so internals never leak,
 * and are logged with their stack because they are bugs.
 */
export function toServerError(err: unknown, logger: Logger): ServerError {
  if (err instanceof ServerError) return err;
  const domain = err instanceof DomainError ? err : isZodError(err) ? validationError(err) : undefined;
  if (domain === undefined) {
    logger.error({ err }, 'unhandled error in gRPC handler');
    return new ServerError(Status.INTERNAL, 'internal error');
  }
  const details = [ErrorInfo.fromPartial({ reason: domain.reason, domain: ERROR_DOMAIN, metadata: domain.metadata })];
  if (domain.fieldViolations.length > 0) {
    details.push(BadRequest.fromPartial({ fieldViolations: domain.fieldViolations }) as never);
  }
  return new RichServerError(Status[domain.code], domain.message, details);
}

const domainCodes = new Set<string>([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'ABORTED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'UNAVAILABLE',
  'RESOURCE_EXHAUSTED',
  'DEADLINE_EXCEEDED',
]);

/**
 * Client side: turns a ClientError (rich details decoded by the error-details client middleware)
 * back into a DomainError, so a caller can rethrow a downstream failure with its reason intact.
 * Returns undefined for non-gRPC errors and for statuses that are not domain codes (INTERNAL, …).
 */
export function fromGrpcError(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (!(err instanceof ClientError)) return undefined;
  const code = Status[err.code];
  if (code === undefined || !domainCodes.has(code)) return undefined;
  let reason = code;
  let metadata: Record<string, string> = {};
  const fieldViolations: FieldViolation[] = [];
  if (err instanceof RichClientError) {
    for (const detail of err.extra) {
      if (detail.$type === 'google.rpc.ErrorInfo') {
        reason = detail.reason;
        metadata = { ...detail.metadata };
      } else if (detail.$type === 'google.rpc.BadRequest') {
        for (const v of detail.fieldViolations) fieldViolations.push({ field: v.field, description: v.description });
      }
    }
  }
  return new DomainError(code as ErrorCode, reason, err.details, metadata, fieldViolations);
}

const graphQLCodes: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'CONFLICT',
  ABORTED: 'CONFLICT',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  UNAVAILABLE: 'UNAVAILABLE',
  DEADLINE_EXCEEDED: 'UNAVAILABLE',
  RESOURCE_EXHAUSTED: 'RATE_LIMITED',
};

/**
 * Maps a resolver failure (DomainError, downstream gRPC error, zod error, anything) to the
 * GraphQLError the edge returns. Unknown failures become INTERNAL_SERVER_ERROR with a fixed message.
 */
export function toGraphQLError(err: unknown, logger?: Logger): GraphQLError {
  if (err instanceof GraphQLError && typeof err.extensions.code === 'string') return err;
  const domain = isZodError(err) ? validationError(err) : fromGrpcError(err);
  if (domain === undefined) {
    logger?.error({ err }, 'unhandled error in GraphQL resolver');
    return new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }
  return new GraphQLError(domain.message, {
    extensions: {
      code: graphQLCodes[domain.code],
      reason: domain.reason,
      fieldViolations: domain.fieldViolations,
      ...(Object.keys(domain.metadata).length > 0 ? { metadata: domain.metadata } : {}),
    },
  });
}
