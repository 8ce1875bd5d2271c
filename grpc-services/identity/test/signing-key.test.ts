import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@core/platform';
import { testLogger } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey } from '../src/auth/signing-key.js';
import { loadIdentityConfig } from '../src/config.js';

let dir: string;
const logger = testLogger('identity-keys');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'identity-key-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('refuses production without a mounted signing key, and demo accounts in production', () => {
    let error: unknown;
    try {
      loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_SEED_DEMO: 'true', DATABASE_URL: 'postgres://db/identity' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['IDENTITY_SEED_DEMO', 'IDENTITY_SIGNING_KEY']);
  });

  it('has the documented defaults', () => {
    expect(loadIdentityConfig({})).toMatchObject({
      GRPC_PORT: 50052,
      METRICS_PORT: 9465,
      DATABASE_URL: 'pglite:.data/identity',
      IDENTITY_KEY_DIR: '.data/identity-keys',
      IDENTITY_ACCESS_TOKEN_MINUTES: 15,
      IDENTITY_REFRESH_TOKEN_DAYS: 7,
      IDENTITY_MAX_FAILED_LOGINS: 10,
      IDENTITY_FAILED_LOGIN_WINDOW_MINUTES: 60,
      IDENTITY_LOCK_MINUTES: 15,
      IDENTITY_SEED_DEMO: false,
    });
  });
});

describe('signing key', () => {
  it('is generated once into the key directory (owner-only) and reused on the next start', async () => {
    const keyDir = join(dir, 'generated');
    const first = await loadSigningKey({ signingKey: undefined, keyDir, logger });
    const second = await loadSigningKey({ signingKey: undefined, keyDir, logger });
    expect(second.kid).toBe(first.kid);
    expect((await stat(join(keyDir, 'signing-key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('loads a mounted PEM, as text or as a path, with the same kid', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const path = join(dir, 'mounted.pem');
    await writeFile(path, pem);
    const fromText = await loadSigningKey({ signingKey: pem, keyDir: join(dir, 'unused'), logger });
    const fromPath = await loadSigningKey({ signingKey: path, keyDir: join(dir, 'unused'), logger });
    expect(fromPath.kid).toBe(fromText.kid);
    expect(fromText.jwks.keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: fromText.kid, alg: 'EdDSA', use: 'sig' });
    await expect(stat(join(dir, 'unused'))).rejects.toThrow();
  });

  it('refuses a key that is not Ed25519, or not a key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsa = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(loadSigningKey({ signingKey: rsa, keyDir: dir, logger })).rejects.toThrow(/must be an Ed25519 key/);
    await expect(loadSigningKey({ signingKey: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', keyDir: dir, logger })).rejects.toThrow(
      /not a PEM private key/,
    );
    await expect(loadSigningKey({ signingKey: join(dir, 'missing.pem'), keyDir: dir, logger })).rejects.toThrow(/ENOENT/);
  });
});
