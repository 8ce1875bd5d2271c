import { ConfigError } from '@core/platform';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';

describe('gateway configuration', () => {
  it('takes a routing URL override for every subgraph from SUBGRAPH_<NAME>_URL', () => {
    const config = loadGatewayConfig({
      SUBGRAPH_MASTERDATA_URL: 'http://master-data-subgraph:4001/graphql',
      SUBGRAPH_IDENTITY_URL: 'http://identity-subgraph:4002/graphql',
      NODE_ENV: 'production',
    });
    expect(config.subgraphUrls).toEqual({
      masterdata: 'http://master-data-subgraph:4001/graphql',
      identity: 'http://identity-subgraph:4002/graphql',
    });
    expect(config.introspection).toBe(false);
  });

  it('refuses to start with an override that is not a URL, naming the variable', () => {
    expect(() => loadGatewayConfig({ SUBGRAPH_IDENTITY_URL: 'identity-subgraph:4002' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ SUBGRAPH_IDENTITY_URL: 'identity-subgraph:4002' })).toThrow(/SUBGRAPH_IDENTITY_URL/);
  });
});
