import { readFileSync } from 'node:fs';
import { createLogger } from '@core/platform';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityStack, startIdentityStack } from '../../subgraphs/identity/test/stack.js';
import { type MasterDataStack, postGraphQL, startMasterDataStack } from '../../subgraphs/master-data/test/stack.js';
import { createGateway, type Gateway, supergraphPath } from '../src/index.js';

const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const logger = createLogger('gateway-compliance-test', { level: 'warn' });
let stack: MasterDataStack;
let identity: IdentityStack;
let gateway: Gateway;

beforeAll(async () => {
  stack = await startMasterDataStack('md_gw_compliance');
  identity = await startIdentityStack('id_gw_compliance');
  // Development mode: the audits ask for __type, which production's introspection ban refuses.
  // They send about a hundred requests from one address, so the rate limit is off here.
  gateway = await createGateway({
    supergraphSdl,
    subgraphUrls: { masterdata: stack.subgraph.url, identity: identity.subgraph.url },
    logger,
    host: '127.0.0.1',
    port: 0,
    introspection: true,
    rateLimitPerMinute: 0,
  });
}, 240_000);

afterAll(async () => {
  await gateway?.stop();
  await identity?.stop();
  await stack?.stop();
});

describe('GraphQL over HTTP compliance', () => {
  it("passes every one of graphql-http's 61 server audits", async () => {
    const results = await auditServer({ url: gateway.url, fetchFn: fetch });
    const failures = results.filter((r) => r.status !== 'ok').map((r) => `${r.status} ${r.id} ${r.name}${'reason' in r ? `: ${r.reason}` : ''}`);
    if (failures.length > 0) console.error(`graphql-http audit failures:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(61);
  });

  it('still serves subgraph data after the audits', async () => {
    const result = await postGraphQL(gateway.url, `{ region(code: "JBK") { name } }`, undefined, stack.auth);
    expect(result.errors).toBeUndefined();
    expect(result.data!.region).toEqual({ name: expect.any(String) });
  });
});
