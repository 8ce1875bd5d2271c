import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGraphQLError } from '@core/platform/graphql-http';
import type { RateLimiter } from '@core/platform/rate-limit';

/** An IPv4 peer seen on a dual-stack socket (`::ffff:10.0.0.1`) under its plain IPv4 address. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The X-Forwarded-For entries of a request, in order (client first), whatever their header lines. */
function forwardedChain(req: IncomingMessage): string[] {
  const header = req.headers['x-forwarded-for'];
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(',') : header;
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * The trusted part of a request's address chain, client first: with `trustProxyHops` 0 only the
 * socket's peer (a client can write anything into X-Forwarded-For). With N trusted proxies in front
 * (an ingress, a load balancer), each appending the address it received from, the last N entries
 * of `X-Forwarded-For` are theirs and the peer is the nearest proxy; entries further left were
 * written by the client and are dropped.
 */
function trustedChain(req: IncomingMessage, trustProxyHops: number): string[] {
  const peer = plainAddress(req.socket.remoteAddress ?? 'unknown');
  if (trustProxyHops <= 0) return [peer];
  return [...forwardedChain(req), peer].slice(-(trustProxyHops + 1)).map(plainAddress);
}

/** The client's address: the first entry of the trusted chain (see {@link forwardedFor}). */
export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  return trustedChain(req, trustProxyHops)[0]!;
}

/**
 * The `x-forwarded-for` the gateway sends to subgraphs: the trusted part of the incoming chain
 * (none unless proxies are trusted) with the socket peer appended, as a proxy does. Its first entry
 * is the client's address as far as the gateway can vouch for it, which is what services record as
 * "from where"; client-written entries never reach them.
 */
export function forwardedFor(req: IncomingMessage, trustProxyHops: number): string {
  return trustedChain(req, trustProxyHops).join(', ');
}

/** Options of {@link corsPolicy}. */
export interface CorsOptions {
  /** Exact allowed origins (`https://app.example.com`); `*` allows any origin without credentials. */
  origins: string[];
  /** How long browsers may cache a preflight answer; default 600 s. */
  maxAgeSeconds?: number;
}

/** Request headers a browser client may send. */
const ALLOWED_HEADERS = 'authorization, content-type, accept, traceparent, tracestate, apollographql-client-name, apollographql-client-version';

/**
 * CORS for the gateway's routes. An allowed origin gets `Access-Control-Allow-Origin` (itself),
 * `Access-Control-Allow-Credentials: true` and, on preflight, the allowed methods and headers; any
 * other origin gets no CORS header at all, so the browser withholds the response. Every response
 * carries `Vary: Origin`, since it depends on the origin. Returns whether the request was a
 * preflight, which this answers (204) in full.
 */
export function corsPolicy(options: CorsOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const anyOrigin = options.origins.includes('*');
  const allowed = new Set(options.origins);
  const maxAge = String(options.maxAgeSeconds ?? 600);
  return (req, res) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined && origin !== undefined;
    res.setHeader('vary', 'Origin');
    const ok = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (ok) {
      // With `*` no credentials: a wildcard must not let every site send a user's cookies.
      res.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
      if (!anyOrigin) res.setHeader('access-control-allow-credentials', 'true');
    }
    if (!preflight) return false;
    if (ok) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', maxAge);
    }
    res.writeHead(204).end();
    return true;
  };
}

/**
 * Counts a request against its client's budget and answers 429 with `Retry-After` (seconds) and
 * `extensions.code` RATE_LIMITED when the budget is spent. Returns whether the request may go on.
 */
export async function admitRate(limiter: RateLimiter, key: string, res: ServerResponse): Promise<boolean> {
  const decision = await limiter.consume(key);
  if (decision.allowed) return true;
  sendGraphQLError(
    res,
    429,
    `rate limit of ${decision.limit} requests per minute exceeded; retry after ${decision.retryAfterSeconds} s`,
    { code: 'RATE_LIMITED', retryAfterSeconds: decision.retryAfterSeconds },
    { 'retry-after': String(decision.retryAfterSeconds) },
  );
  return false;
}
