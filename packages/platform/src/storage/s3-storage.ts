import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DomainError, unavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  assertObjectKey,
  assertPutOptions,
  BodyMeter,
  decodeMetadataValue,
  encodeMetadataValue,
  type ObjectBody,
  type ObjectStorage,
  objectTooLarge,
  OBJECT_KEY_PATTERN,
  type PutObjectOptions,
  RESERVED_METADATA_PREFIX,
  type StoredObject,
  type StoredObjectContent,
} from './object-storage.js';

/** Options of {@link createS3ObjectStorage}. */
export interface S3ObjectStorageOptions {
  bucket: string;
  /** Default `us-east-1` (what most S3-compatible stores expect when they ignore regions). */
  region?: string;
  /** Endpoint of an S3-compatible store (MinIO, Ceph, R2, …); AWS itself when omitted. */
  endpoint?: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key`; most self-hosted stores need it. */
  forcePathStyle?: boolean;
  /** Static credentials; the AWS default chain (env, web identity, instance role) when omitted. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Prepended to every key, e.g. `gateway/` to share a bucket; empty or segments ending in `/`. */
  keyPrefix?: string;
  /**
   * `when_supported` (AWS default): send each object's SHA-256 so the store verifies what it
   * received. `when_required`: send checksums only where S3 demands them, for stores that do not
   * implement flexible checksums.
   */
  checksums?: 'when_supported' | 'when_required';
  /** Where stream bodies are spooled before upload; default the OS temp directory. */
  spoolDir?: string;
  logger?: Logger;
}

const SHA256_METADATA = `${RESERVED_METADATA_PREFIX}sha256`;

async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound');
}

/**
 * Object storage in an S3 bucket (AWS or any S3-compatible store). A stream body is first spooled
 * to a temporary file, hashed and measured on the way: so a body that fails or exceeds `maxBytes`
 * never reaches the store, the object is sent in one PutObject with its length and SHA-256
 * (kept as `x-amz-meta-core-sha256`), and no multipart upload can be left behind. One object is
 * therefore at most 5 GiB (PutObject's limit), far above any upload limit here.
 *
 * Failures of the store itself are UNAVAILABLE `STORAGE_UNAVAILABLE` (logged with the cause).
 */
export function createS3ObjectStorage(options: S3ObjectStorageOptions): ObjectStorage {
  const keyPrefix = options.keyPrefix ?? '';
  if (keyPrefix !== '' && !(keyPrefix.endsWith('/') && OBJECT_KEY_PATTERN.test(keyPrefix.slice(0, -1)))) {
    throw new Error(`S3 key prefix must be empty or key segments ending in '/', got ${JSON.stringify(keyPrefix)}`);
  }
  const checksums = options.checksums ?? 'when_supported';
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    requestChecksumCalculation: checksums === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    responseChecksumValidation: checksums === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
  });
  const spoolDir = options.spoolDir ?? tmpdir();
  const bucket = options.bucket;

  async function send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof DomainError || isNotFound(err)) throw err;
      options.logger?.error({ err, operation, bucket, key }, 'object storage request failed');
      throw unavailable('STORAGE_UNAVAILABLE', `object storage ${operation} failed`, { operation });
    }
  }

  function describe(
    key: string,
    head: { ContentLength?: number; ContentType?: string; LastModified?: Date; Metadata?: Record<string, string> },
  ): StoredObject {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(head.Metadata ?? {})) {
      if (!name.startsWith(RESERVED_METADATA_PREFIX)) metadata[name] = decodeMetadataValue(value);
    }
    return {
      key,
      size: head.ContentLength ?? 0,
      // Empty for an object some other writer put into the bucket.
      sha256: head.Metadata?.[SHA256_METADATA] ?? '',
      contentType: head.ContentType ?? 'application/octet-stream',
      createdAt: head.LastModified ?? new Date(0),
      metadata,
    };
  }

  async function upload(key: string, putOptions: PutObjectOptions, body: Uint8Array | Readable, size: number, sha256: string) {
    const metadata: Record<string, string> = { [SHA256_METADATA]: sha256 };
    for (const [name, value] of Object.entries(putOptions.metadata ?? {})) metadata[name] = encodeMetadataValue(value);
    const input: PutObjectCommandInput = {
      Bucket: bucket,
      Key: keyPrefix + key,
      Body: body,
      ContentLength: size,
      ContentType: putOptions.contentType,
      Metadata: metadata,
      ...(checksums === 'when_supported' ? { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') } : {}),
    };
    await send('put', key, () => client.send(new PutObjectCommand(input)));
    const stored: StoredObject = {
      key,
      size,
      sha256,
      contentType: putOptions.contentType,
      createdAt: new Date(),
      metadata: { ...putOptions.metadata },
    };
    return stored;
  }

  return {
    driver: 's3',

    async put(key: string, body: ObjectBody, putOptions: PutObjectOptions): Promise<StoredObject> {
      assertObjectKey(key);
      assertPutOptions(putOptions);
      if (body instanceof Uint8Array) {
        if (putOptions.maxBytes !== undefined && body.byteLength > putOptions.maxBytes) throw objectTooLarge(putOptions.maxBytes);
        const sha256 = createHash('sha256').update(body).digest('hex');
        return upload(key, putOptions, body, body.byteLength, sha256);
      }
      const spool = path.join(spoolDir, `core-s3-spool-${randomUUID()}`);
      try {
        const meter = new BodyMeter(putOptions.maxBytes);
        await pipeline(body, meter, createWriteStream(spool, { flags: 'wx', mode: 0o600 }));
        const size = meter.size;
        return await upload(key, putOptions, createReadStream(spool), size, meter.digest());
      } finally {
        await removeQuietly(spool);
      }
    },

    async get(key: string): Promise<StoredObjectContent | undefined> {
      assertObjectKey(key);
      try {
        const response = await send('get', key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: keyPrefix + key })));
        return { object: describe(key, response), body: response.Body as Readable };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async stat(key: string): Promise<StoredObject | undefined> {
      assertObjectKey(key);
      try {
        const head = await send('stat', key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyPrefix + key })));
        return describe(key, head);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async delete(key: string): Promise<void> {
      assertObjectKey(key);
      await send('delete', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyPrefix + key })));
    },

    async close(): Promise<void> {
      client.destroy();
    },
  };
}
