import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

/** A started HTTP server: the bound port and a close that also ends idle keep-alive connections. */
export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/** Request handler of {@link startHttpServer}; a rejection answers 500 instead of crashing. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Starts a plain HTTP server (metrics, probes, GraphQL) on `host:port`; port 0 picks a free one.
 * A failing handler answers 500 and is logged (to `options.logger`, else stderr).
 */
export function startHttpServer(
  handler: HttpHandler,
  port: number,
  host = '0.0.0.0',
  options: { logger?: Logger } = {},
): Promise<HttpServer> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
        if (options.logger) options.logger.error({ err, url: req.url }, 'http handler failed');
        else console.error('http handler failed', req.url, err);
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Idle keep-alive sockets would otherwise hold close() open until they time out.
            server.closeIdleConnections();
          }),
      });
    });
  });
}
