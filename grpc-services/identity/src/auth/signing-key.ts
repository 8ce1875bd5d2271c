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

/** The public JWK of an Ed25519 key (private or public KeyObject), with its RFC 7638 thumbprint as `kid`. */
async function publicJwkOf(key: KeyObject): Promise<JWK & { kid: string }> {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const jwk: JWK = { kty, crv, x };
  return { ...jwk, kid: await calculateJwkThumbprint(jwk, 'sha256'), alg: SIGNING_ALGORITHM, use: 'sig' };
}

/** A key still published for verification after a rotation: a PEM (public or private) file. */
async function previousKey(path: string): Promise<KeyObject> {
  const pem = await readFile(path, 'utf8');
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (err) {
    throw new Error(`${path} is not a PEM key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * Loads the signing key from IDENTITY_SIGNING_KEY (PEM text, or a path to a PEM file such as a
 * mounted Secret), or in embedded mode from `keyDir`, generating it there on first start.
 *
 * Rotation: `previousKeys` (paths to the old keys' PEM files) stay in the published JWKS, so tokens
 * signed before the switch keep verifying everywhere until they expire; new tokens carry the new
 * key's `kid`, which makes every verifier refetch the JWKS once. Drop the old key after the access
 * token lifetime (plus verifiers' JWKS cache) has passed.
 */
export async function loadSigningKey(options: {
  signingKey: string | undefined;
  keyDir: string;
  logger: Logger;
  previousKeys?: readonly string[];
}): Promise<SigningKey> {
  const { signingKey } = options;
  let privateKey: KeyObject;
  if (signingKey === undefined) privateKey = await generatedKey(options.keyDir, options.logger);
  else if (signingKey.trimStart().startsWith('-----BEGIN')) privateKey = parsePrivateKey(signingKey, 'IDENTITY_SIGNING_KEY');
  else privateKey = parsePrivateKey(await readFile(signingKey, 'utf8'), signingKey);

  const current = await publicJwkOf(privateKey);
  const previous = await Promise.all((options.previousKeys ?? []).map(async (path) => publicJwkOf(await previousKey(path))));
  const published = [current, ...previous.filter((jwk, i) => jwk.kid !== current.kid && previous.findIndex((p) => p.kid === jwk.kid) === i)];
  if (published.length > 1) options.logger.info({ kid: current.kid, stillPublished: published.slice(1).map((k) => k.kid) }, 'signing with a rotated key');
  return { privateKey, publicKey: createPublicKey(privateKey), kid: current.kid, jwks: { keys: published } };
}
