import { ConfigError } from '@core/platform';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';

/** Every gateway configuration names identity's JWKS (required at start). */
const AUTH = { AUTH_JWKS_URL: 'http://identity:9465/.well-known/jwks.json' };

describe('gateway configuration', () => {
  it('takes a routing URL override for every subgraph from SUBGRAPH_<NAME>_URL', () => {
    const config = loadGatewayConfig({ ...AUTH,
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
    expect(() => loadGatewayConfig({ ...AUTH, SUBGRAPH_IDENTITY_URL: 'identity-subgraph:4002' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ ...AUTH, SUBGRAPH_IDENTITY_URL: 'identity-subgraph:4002' })).toThrow(/SUBGRAPH_IDENTITY_URL/);
  });

  it('refuses to start without the JWKS of identity, and reads an external OIDC issuer and upload storage', () => {
    expect(() => loadGatewayConfig({})).toThrow(/AUTH_JWKS_URL/);
    const config = loadGatewayConfig({
      ...AUTH,
      OIDC_ISSUER: 'https://sso.example.id/realms/core',
      OIDC_AUDIENCE: 'core-gateway',
      STORAGE_DRIVER: 's3',
      STORAGE_S3_BUCKET: 'uploads',
      UPLOAD_MAX_BYTES: '5242880',
    });
    expect(config.auth).toMatchObject({ AUTH_ISSUER: 'core-identity', AUTH_AUDIENCE: 'core-mesh', OIDC_ISSUER: 'https://sso.example.id/realms/core', OIDC_ROLES_CLAIM: 'realm_access.roles' });
    expect(config.uploads).toMatchObject({ STORAGE_DRIVER: 's3', STORAGE_S3_BUCKET: 'uploads', UPLOAD_MAX_BYTES: 5_242_880 });
  });
});
