import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link StubSubgraph} received. */
export interface StubRequest {
  headers: IncomingHttpHeaders;
  body: { query?: string; variables?: Record<string, unknown> };
}

/** A stand-in subgraph that records what the gateway sends it. */
export interface StubSubgraph {
  url: string;
  /** Requests received so far, readiness probes (`{ __typename }`) excluded. */
  readonly requests: StubRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTP server playing every subgraph of the supergraph: `{ __typename }` (readiness)
 * answers `Query`; any other operation answers `region: { name: "Stub" }`, which is what the edge
 * tests query. Enough to see whether and how the gateway called a subgraph, without a database.
 * With `cacheControl` every answer carries that `cache-control` header.
 */
export async function startStubSubgraph(options: { cacheControl?: string } = {}): Promise<StubSubgraph> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StubRequest['body'];
      const probe = body.query?.replace(/\s+/g, '') === '{__typename}';
      if (!probe) requests.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', ...(options.cacheControl ? { 'cache-control': options.cacheControl } : {}) });
      res.end(JSON.stringify({ data: probe ? { __typename: 'Query' } : { region: { name: 'Stub' } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
