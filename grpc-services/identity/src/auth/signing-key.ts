import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@core/platform';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** The one access-token signing algorithm: Ed25519 signatures (EdDSA), pinned on every verifier. */
export const SIGNING_ALGORITHM = 'EdDSA';

/** The service's Ed25519 key pair and its public JWKS. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** RFC 7638 thumbprint of the public key: the `kid` header of every token. */
  readonly kid: string;
  /** `{"keys":[…]}` with the public key only. */
  readonly jwks: { keys: JWK[] };
}

const GENERATED_KEY_FILE = 'signing-key.pem';

function parsePrivateKey(pem: string, origin: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${origin} is not a PEM private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${origin} must be an Ed25519 key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  }
  return key;
}

/** Generates the embedded mode's key once; a concurrent start that lost the race reads the winner's. */
async function generatedKey(keyDir: string, logger: Logger): Promise<KeyObject> {
  const path = resolve(join(keyDir, GENERATED_KEY_FILE));
  try {
    return parsePrivateKey(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    logger.info({ path }, 'generated a new token signing key (embedded mode; production mounts IDENTITY_SIGNING_KEY)');
    return privateKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parsePrivateKey(await readFile(path, 'utf8'), path);
  }
}

/**
 * Loads the signing key from IDENTITY_SIGNING_KEY (PEM text, or a path to a PEM file such as a
 * mounted Secret), or in embedded mode from `keyDir`, generating it there on first start.
 */
export async function loadSigningKey(options: { signingKey: string | undefined; keyDir: string; logger: Logger }): Promise<SigningKey> {
  const { signingKey } = options;
  let privateKey: KeyObject;
  if (signingKey === undefined) privateKey = await generatedKey(options.keyDir, options.logger);
  else if (signingKey.trimStart().startsWith('-----BEGIN')) privateKey = parsePrivateKey(signingKey, 'IDENTITY_SIGNING_KEY');
  else privateKey = parsePrivateKey(await readFile(signingKey, 'utf8'), signingKey);

  const publicKey = createPublicKey(privateKey);
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const publicJwk: JWK = { kty, crv, x };
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  return { privateKey, publicKey, kid, jwks: { keys: [{ ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' }] } };
}
