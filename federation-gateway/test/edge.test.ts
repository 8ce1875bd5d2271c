import { readFileSync } from 'node:fs';
import { createLogger } from '@core/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, supergraphPath } from '../src/index.js';
import { type StubSubgraph, startStubSubgraph } from './stub-subgraph.js';

const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const logger = createLogger('gateway-edge-test', { level: 'warn' });
let subgraph: StubSubgraph;

beforeAll(async () => {
  subgraph = await startStubSubgraph();
});

afterAll(async () => {
  await subgraph?.close();
});

/** A gateway whose every subgraph is the stub. */
function startGateway(options: Partial<Parameters<typeof createGateway>[0]> = {}): Promise<Gateway> {
  return createGateway({
    supergraphSdl,
    subgraphUrls: { masterdata: subgraph.url, identity: subgraph.url },
    logger,
    host: '127.0.0.1',
    port: 0,
    ...options,
  });
}

const endpoint = (gateway: Gateway, path: string) => gateway.url.replace(/\/graphql$/, path);

describe('gateway extra routes', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({
      routes: {
        '/uploads': async (req, res) => {
          res.writeHead(201, { 'content-type': 'text/plain' }).end(`${req.method} uploaded\n`);
        },
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('serves an extra exact path beside /graphql, and 404 for its sub-paths', async () => {
    const upload = await fetch(endpoint(gateway, '/uploads?x=1'), { method: 'POST', body: 'x' });
    expect(upload.status).toBe(201);
    expect(await upload.text()).toBe('POST uploaded\n');
    expect((await fetch(endpoint(gateway, '/uploads/other'))).status).toBe(404);
    const graphql = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ region(code: "JBK") { name } }' }),
    });
    expect(await graphql.json()).toEqual({ data: { region: { name: 'Stub' } } });
  });
});
