/**
 * The gateway deployable as production runs it (`main.ts` in its own process, configured by the
 * environment): it fetches identity's JWKS from AUTH_JWKS_URL, refuses bad tokens with 401 before
 * any subgraph is asked, and serves `POST /uploads` into the configured storage.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer, type HttpServer } from '@core/platform';
import { createTestIssuer, type TestIssuer } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGatewayProcess } from './gateway-process.js';

// A real 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

let issuer: TestIssuer;
let jwksServer: HttpServer;
let jwksFetches = 0;
let storageRoot: string;
let gateway: GatewayProcess;

beforeAll(async () => {
  issuer = await createTestIssuer();
  jwksServer = await startHttpServer(
    (_req, res) => {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
    },
    0,
    '127.0.0.1',
  );
  storageRoot = await mkdtemp(join(tmpdir(), 'gateway-main-uploads-'));
  gateway = await startGatewayProcess({
    AUTH_JWKS_URL: `http://127.0.0.1:${jwksServer.port}/.well-known/jwks.json`,
    STORAGE_LOCAL_ROOT: storageRoot,
    // No subgraph runs here: GraphQL operations are not the point, tokens and uploads are.
    SUBGRAPH_MASTERDATA_URL: 'http://127.0.0.1:9/graphql',
    SUBGRAPH_IDENTITY_URL: 'http://127.0.0.1:9/graphql',
  });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await jwksServer?.close();
  if (storageRoot) await rm(storageRoot, { recursive: true, force: true });
});

const uploadsUrl = () => gateway.url.replace(/\/graphql$/, '/uploads');

function form(bytes: Buffer, name: string): FormData {
  const body = new FormData();
  body.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
  return body;
}

describe('gateway process', () => {
  it('refuses a forged or expired token with 401 on GraphQL, fetching the JWKS once', async () => {
    const other = await createTestIssuer();
    for (const [authorization, reason] of [
      [await other.bearer(['admin']), 'INVALID_TOKEN'],
      [await issuer.bearer(['admin'], { ttlSeconds: -300 }), 'TOKEN_EXPIRED'],
    ] as const) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { errors: { extensions: { reason: string } }[] }).errors[0]!.extensions.reason).toBe(reason);
    }
    expect(jwksFetches).toBe(1);
  });

  it('stores an upload of a signed-in caller by its content type, and refuses an anonymous one', async () => {
    const anonymous = await fetch(uploadsUrl(), { method: 'POST', body: form(PNG, 'laporan.pdf') });
    expect(anonymous.status).toBe(401);
    const stored = await fetch(uploadsUrl(), {
      method: 'POST',
      headers: { authorization: await issuer.bearer(['md']) },
      body: form(PNG, '../../laporan.pdf'),
    });
    expect(stored.status).toBe(201);
    const body = (await stored.json()) as { id: string; contentType: string; size: number };
    expect(body).toMatchObject({ contentType: 'image/png', size: PNG.length });
    expect(await readdir(join(storageRoot, 'objects', 'uploads'))).toContain(body.id);
  });

  it('answers 503 UNAVAILABLE, not 500, while the signing keys cannot be fetched', async () => {
    const blind = await startGatewayProcess({
      AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      STORAGE_LOCAL_ROOT: storageRoot,
      SUBGRAPH_MASTERDATA_URL: 'http://127.0.0.1:9/graphql',
      SUBGRAPH_IDENTITY_URL: 'http://127.0.0.1:9/graphql',
    });
    try {
      const response = await fetch(blind.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await issuer.bearer(['amo']) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAVAILABLE');
    } finally {
      await blind.stop();
    }
  });
});
