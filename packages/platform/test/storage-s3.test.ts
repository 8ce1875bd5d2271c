import { createServer } from 'node:net';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import S3rver from '@20minutes/s3rver';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DomainError } from '@core/platform';
import { createS3ObjectStorage, newObjectKey, type ObjectStorage, type S3ObjectStorageOptions } from '@core/platform/storage';
import { testLogger } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeObjectStorageContract } from './storage-contract.js';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'core-test';

/** A port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every key in the bucket (under `prefix`). */
async function keysIn(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}) }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

// In-process S3-compatible server (s3rver, the maintained @20minutes fork): runs in CI everywhere.
describe('S3 adapter against s3rver', () => {
  let workDir: string;
  let server: S3rver;
  let endpoint: string;
  let spoolDir: string;
  let client: S3Client;
  let storage: ObjectStorage;
  let prefixed: ObjectStorage;
  let withoutChecksums: ObjectStorage;

  const options = (extra: Partial<S3ObjectStorageOptions> = {}): S3ObjectStorageOptions => ({
    bucket: BUCKET,
    endpoint,
    forcePathStyle: true,
    credentials,
    spoolDir,
    logger: testLogger('s3'),
    ...extra,
  });

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'storage-s3-'));
    spoolDir = path.join(workDir, 'spool');
    await mkdir(spoolDir);
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: path.join(workDir, 's3rver'),
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
    // The SDK addresses bucket operations as `/bucket/`; s3rver signs them as `/bucket` and refuses.
    // Only this test's listing client needs bucket operations (the adapter does object operations only).
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string };
        if (typeof request.path === 'string' && /^\/[^/]+\/$/.test(request.path)) request.path = request.path.slice(0, -1);
        return next(args);
      },
      { step: 'build' },
    );
    storage = createS3ObjectStorage(options());
    prefixed = createS3ObjectStorage(options({ keyPrefix: 'gateway/' }));
    withoutChecksums = createS3ObjectStorage(options({ checksums: 'when_required' }));
  });

  afterAll(async () => {
    await storage?.close();
    await prefixed?.close();
    await withoutChecksums?.close();
    client?.destroy();
    await server?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  describeObjectStorageContract('s3 (s3rver)', () => storage);
  describeObjectStorageContract('s3 (s3rver, checksums when_required)', () => withoutChecksums);

  it('sends nothing to the bucket for a refused or failed body, and leaves no spool file', async () => {
    const before = await keysIn(client, BUCKET);
    await expect(storage.put(newObjectKey(), Readable.from([Buffer.alloc(2048)]), { contentType: 'image/png', maxBytes: 1024 })).rejects.toMatchObject({
      reason: 'OBJECT_TOO_LARGE',
    });
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put(newObjectKey(), failing, { contentType: 'image/png' })).rejects.toThrow('client went away');
    expect(await keysIn(client, BUCKET)).toEqual(before);
    await storage.put(newObjectKey(), Readable.from([Buffer.from('ok')]), { contentType: 'text/plain' });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('puts every key under the configured prefix', async () => {
    const key = newObjectKey();
    await prefixed.put(key, Buffer.from('p'), { contentType: 'text/plain' });
    expect(await keysIn(client, BUCKET, 'gateway/')).toContain(`gateway/${key}`);
    expect(await prefixed.stat(key)).toMatchObject({ key, size: 1 });
    expect(await storage.stat(key)).toBeUndefined();
  });

  it('refuses a key prefix that is not key segments ending in /', () => {
    for (const keyPrefix of ['../', 'gateway', '/gateway/', 'a/../']) {
      expect(() => createS3ObjectStorage(options({ keyPrefix }))).toThrow('S3 key prefix');
    }
  });

  it('reports an unreachable store as UNAVAILABLE, not as a missing object', async () => {
    const down = createS3ObjectStorage(options({ endpoint: `http://127.0.0.1:${await closedPort()}` }));
    try {
      for (const call of [
        () => down.put(newObjectKey(), Buffer.from('x'), { contentType: 'text/plain' }),
        () => down.stat(newObjectKey()),
        () => down.get(newObjectKey()),
        () => down.delete(newObjectKey()),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect({ code: (err as DomainError).code, reason: (err as DomainError).reason }).toEqual({
          code: 'UNAVAILABLE',
          reason: 'STORAGE_UNAVAILABLE',
        });
      }
    } finally {
      await down.close();
    }
  });
});

// A real S3-compatible store (AWS, MinIO, Ceph, R2, …) when one is configured, e.g.
// S3_TEST_ENDPOINT=http://127.0.0.1:9000 S3_TEST_BUCKET=core-test S3_TEST_ACCESS_KEY_ID=… S3_TEST_SECRET_ACCESS_KEY=…
describe.runIf(process.env.S3_TEST_ENDPOINT)('S3 adapter against S3_TEST_ENDPOINT', () => {
  let storage: ObjectStorage;
  beforeAll(() => {
    const env = process.env;
    storage = createS3ObjectStorage({
      bucket: env.S3_TEST_BUCKET ?? 'core-test',
      endpoint: env.S3_TEST_ENDPOINT,
      region: env.S3_TEST_REGION ?? 'us-east-1',
      forcePathStyle: env.S3_TEST_FORCE_PATH_STYLE !== 'false',
      ...(env.S3_TEST_ACCESS_KEY_ID && env.S3_TEST_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: env.S3_TEST_ACCESS_KEY_ID, secretAccessKey: env.S3_TEST_SECRET_ACCESS_KEY } }
        : {}),
      checksums: env.S3_TEST_CHECKSUMS === 'when_required' ? 'when_required' : 'when_supported',
      keyPrefix: `test-${Date.now().toString(36)}/`,
      logger: testLogger('s3'),
    });
  });
  afterAll(async () => {
    await storage?.close();
  });
  describeObjectStorageContract('s3 (S3_TEST_ENDPOINT)', () => storage);
});
