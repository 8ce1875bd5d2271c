import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityServiceDefinition } from '@core/contracts/identity/v1';
import { createGrpcClient, createTokenVerifier, MESH_TOKEN_ALGORITHMS } from '@core/platform';
import { createTestDatabase, testLogger, type TestDatabase } from '@core/testing';
import { decodeProtectedHeader } from 'jose';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIdentityConfig } from '../src/config.js';
import { type IdentityService, startIdentityService } from '../src/server.js';

let dir: string;
let database: TestDatabase;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'identity-rotation-'));
  database = await createTestDatabase('id_rotation');
});

afterAll(async () => {
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return path;
}

async function start(env: Record<string, string>): Promise<IdentityService> {
  const config = loadIdentityConfig({
    DATABASE_URL: database.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    IDENTITY_SEED_DEMO: 'true',
    IDENTITY_ARGON2_MEMORY_KIB: '1024',
    IDENTITY_ARGON2_TIME_COST: '1',
    ...env,
  });
  return startIdentityService({ config, logger: testLogger('identity-rotation') });
}

async function signIn(service: IdentityService): Promise<string> {
  const { client, close } = createGrpcClient(IdentityServiceDefinition, service.address, { retries: 0 });
  try {
    const { tokens } = await client.login({ login: 'demo.amo', password: 'demo-amo-pass' });
    return tokens!.accessToken;
  } finally {
    close();
  }
}

async function getMe(service: IdentityService, token: string): Promise<string | undefined> {
  const { client, close } = createGrpcClient(IdentityServiceDefinition, service.address, { retries: 0 });
  try {
    return (await client.getMe({}, { metadata: new Metadata({ authorization: `Bearer ${token}` }) })).user?.username;
  } finally {
    close();
  }
}

describe('signing-key rotation', () => {
  it('keeps tokens of the previous key valid on every verifier while new tokens carry the new kid', async () => {
    const oldKey = await keyFile('old.pem');
    const newKey = await keyFile('new.pem');
    const before = await start({ IDENTITY_SIGNING_KEY: oldKey });
    const oldToken = await signIn(before);
    const oldKid = decodeProtectedHeader(oldToken).kid;
    await before.stop();

    const after = await start({ IDENTITY_SIGNING_KEY: newKey, IDENTITY_PREVIOUS_SIGNING_KEYS: oldKey });
    try {
      const newToken = await signIn(after);
      expect(decodeProtectedHeader(newToken).kid).not.toBe(oldKid);
      // The service itself accepts both.
      expect(await getMe(after, oldToken)).toBe('demo.amo');
      expect(await getMe(after, newToken)).toBe('demo.amo');
      // So does any other hop reading the published JWKS over HTTP.
      const jwks = (await (await fetch(after.jwksUrl)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual([decodeProtectedHeader(newToken).kid, oldKid]);
      const verifier = createTokenVerifier({
        issuers: [{ issuer: after.issuer, audience: after.audience, algorithms: [...MESH_TOKEN_ALGORITHMS], jwks: new URL(after.jwksUrl) }],
      });
      expect((await verifier.verify(oldToken)).caller.roles).toEqual(['amo']);
      expect((await verifier.verify(newToken)).caller.roles).toEqual(['amo']);
    } finally {
      await after.stop();
    }

    // Once the previous key is dropped, its tokens are refused.
    const dropped = await start({ IDENTITY_SIGNING_KEY: newKey });
    try {
      await expect(getMe(dropped, oldToken)).rejects.toThrow(/UNAUTHENTICATED/);
    } finally {
      await dropped.stop();
    }
  });
});
