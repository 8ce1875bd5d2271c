import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '@core/platform';
import { createObjectStorage, newObjectKey, storageConfig } from '@core/platform/storage';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const schema = z.object({ ...storageConfig });
const load = (env: Record<string, string>) => loadConfig(schema, env);

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('storageConfig', () => {
  it('defaults to the local filesystem under .data/files', () => {
    const config = load({});
    expect(config).toMatchObject({ STORAGE_DRIVER: 'local', STORAGE_LOCAL_ROOT: '.data/files', STORAGE_S3_FORCE_PATH_STYLE: false });
    expect(createObjectStorage(config).driver).toBe('local');
  });

  it('stores under STORAGE_LOCAL_ROOT', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'storage-config-'));
    try {
      const storage = createObjectStorage(load({ STORAGE_LOCAL_ROOT: dir }));
      const key = newObjectKey();
      await storage.put(key, Buffer.from('here'), { contentType: 'text/plain' });
      expect(await readFile(path.join(dir, 'objects', key), 'utf8')).toBe('here');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('selects S3 with endpoint, region, bucket, credentials and path style', async () => {
    const config = load({
      STORAGE_DRIVER: 's3',
      STORAGE_S3_BUCKET: 'uploads',
      STORAGE_S3_ENDPOINT: 'http://minio:9000',
      STORAGE_S3_REGION: 'ap-southeast-3',
      STORAGE_S3_FORCE_PATH_STYLE: 'true',
      STORAGE_S3_ACCESS_KEY_ID: 'id',
      STORAGE_S3_SECRET_ACCESS_KEY: 'secret',
      STORAGE_S3_KEY_PREFIX: 'gateway/',
      STORAGE_S3_CHECKSUMS: 'when_required',
    });
    expect(config).toMatchObject({ STORAGE_S3_FORCE_PATH_STYLE: true, STORAGE_S3_ENDPOINT: 'http://minio:9000' });
    const storage = createObjectStorage(config);
    expect(storage.driver).toBe('s3');
    await storage.close();
  });

  it('treats empty variables as unset (as k8s manifests often leave them)', () => {
    expect(load({ STORAGE_S3_ENDPOINT: '', STORAGE_S3_BUCKET: '' })).toMatchObject({ STORAGE_S3_ENDPOINT: undefined, STORAGE_S3_BUCKET: undefined });
  });

  it('names every malformed variable at once', () => {
    const err = configErrorOf(() =>
      load({ STORAGE_DRIVER: 'ftp', STORAGE_S3_ENDPOINT: 'ftp://x', STORAGE_S3_FORCE_PATH_STYLE: 'maybe', STORAGE_S3_CHECKSUMS: 'never' }),
    );
    expect(err.issues.map((i) => i.variable).sort()).toEqual(
      ['STORAGE_DRIVER', 'STORAGE_S3_CHECKSUMS', 'STORAGE_S3_ENDPOINT', 'STORAGE_S3_FORCE_PATH_STYLE'].sort(),
    );
  });

  it('refuses S3 settings that do not go together, before anything starts', () => {
    const err = configErrorOf(() =>
      createObjectStorage(load({ STORAGE_DRIVER: 's3', STORAGE_S3_ACCESS_KEY_ID: 'id', STORAGE_S3_KEY_PREFIX: '../up' })),
    );
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['STORAGE_S3_BUCKET', 'STORAGE_S3_KEY_PREFIX', 'STORAGE_S3_SECRET_ACCESS_KEY']);
  });
});
