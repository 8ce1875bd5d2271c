import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { invalidArgument } from '../errors.js';

/** What {@link ObjectStorage.put} accepts: a stream (read once, to its end) or bytes in memory. */
export type ObjectBody = Readable | Uint8Array;

/** Options of {@link ObjectStorage.put}. */
export interface PutObjectOptions {
  /** Media type the object is served with, e.g. `image/png`; decided by the caller, never guessed here. */
  contentType: string;
  /**
   * Small string facts kept with the object (uploader, sanitised original name, …). Names are
   * lower-case `[a-z][a-z0-9-]*`, not starting with `core-` (reserved); at most 2 KiB in all,
   * because S3 caps user metadata at that.
   */
  metadata?: Record<string, string>;
  /**
   * Refuse bodies longer than this many bytes: the put rejects with INVALID_ARGUMENT
   * `OBJECT_TOO_LARGE` and nothing is stored.
   */
  maxBytes?: number;
}

/** A stored object's description, as {@link ObjectStorage.put} wrote it. */
export interface StoredObject {
  key: string;
  /** Length of the body in bytes. */
  size: number;
  /** SHA-256 of the body, lower-case hex. */
  sha256: string;
  contentType: string;
  /** When the put that wrote this version completed. */
  createdAt: Date;
  metadata: Record<string, string>;
}

/** An object read back by {@link ObjectStorage.get}: its description and its bytes (read once). */
export interface StoredObjectContent {
  object: StoredObject;
  body: Readable;
}

/**
 * The platform's port to blob storage (uploads, generated documents). Adapters: local filesystem
 * (embedded mode and single-node deployments) and any S3-compatible store. Keys are ids the
 * application generates ({@link newObjectKey}), never names a user chose; every adapter refuses a
 * key that is not {@link OBJECT_KEY_PATTERN} with INVALID_ARGUMENT `INVALID_OBJECT_KEY`.
 *
 * A put is all or nothing: if the body fails, is too long or the process dies, no object (and no
 * half of one) becomes visible under the key. A put to an existing key replaces it.
 */
export interface ObjectStorage {
  /** Which adapter this is, for logs and the start banner. */
  readonly driver: 'local' | 's3';
  put(key: string, body: ObjectBody, options: PutObjectOptions): Promise<StoredObject>;
  /** The object with its bytes, or undefined when there is none under the key. */
  get(key: string): Promise<StoredObjectContent | undefined>;
  /** The object's description without its bytes, or undefined when there is none. */
  stat(key: string): Promise<StoredObject | undefined>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections (S3); the adapter must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Keys are one or more `/`-separated segments of letters, digits, `_` and `-` (no dots, so no `..`,
 * no hidden files and no clash with the local adapter's `.meta.json` files), at most 256 characters.
 */
export const OBJECT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\/[A-Za-z0-9][A-Za-z0-9_-]*)*$/;
const MAX_KEY_LENGTH = 256;

const METADATA_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** Metadata names the adapters use for themselves. */
export const RESERVED_METADATA_PREFIX = 'core-';
const MAX_METADATA_BYTES = 2048;
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/;

/** A fresh, unguessable object id (a random UUID). */
export function newObjectKey(): string {
  return randomUUID();
}

/** Throws INVALID_ARGUMENT `INVALID_OBJECT_KEY` unless `key` matches {@link OBJECT_KEY_PATTERN}. */
export function assertObjectKey(key: string): void {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !OBJECT_KEY_PATTERN.test(key)) {
    throw invalidArgument('INVALID_OBJECT_KEY', 'object keys are generated ids: /-separated segments of [A-Za-z0-9_-]', [
      { field: 'key', description: `not a valid object key: ${JSON.stringify(String(key).slice(0, 80))}` },
    ]);
  }
}

/** Checks put options once for every adapter, so both refuse the same input the same way. */
export function assertPutOptions(options: PutObjectOptions): void {
  const violations: { field: string; description: string }[] = [];
  if (typeof options.contentType !== 'string' || !CONTENT_TYPE.test(options.contentType)) {
    violations.push({ field: 'contentType', description: 'expected a lower-case type/subtype media type' });
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    if (!METADATA_NAME.test(name) || name.startsWith(RESERVED_METADATA_PREFIX)) {
      violations.push({ field: `metadata.${name}`, description: `names are [a-z][a-z0-9-]*, not ${RESERVED_METADATA_PREFIX}*` });
    } else if (typeof value !== 'string') {
      violations.push({ field: `metadata.${name}`, description: 'values are strings' });
    } else {
      bytes += name.length + Buffer.byteLength(encodeMetadataValue(value));
    }
  }
  if (bytes > MAX_METADATA_BYTES) {
    violations.push({ field: 'metadata', description: `at most ${MAX_METADATA_BYTES} bytes in all` });
  }
  if (options.maxBytes !== undefined && !(Number.isSafeInteger(options.maxBytes) && options.maxBytes >= 0)) {
    violations.push({ field: 'maxBytes', description: 'expected a non-negative integer' });
  }
  if (violations.length > 0) {
    throw invalidArgument('INVALID_PUT_OPTIONS', 'invalid object storage put options', violations);
  }
}

/**
 * Metadata values as S3 can carry them (HTTP headers are ASCII): percent-encoded UTF-8. The local
 * adapter stores values as they are; the encoding only sizes them the same way for both.
 */
export function encodeMetadataValue(value: string): string {
  return encodeURIComponent(value);
}

/** Inverse of {@link encodeMetadataValue}; a value another writer left unencoded is returned as is. */
export function decodeMetadataValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The error a put rejects with when its body is longer than `maxBytes`. */
export function objectTooLarge(maxBytes: number) {
  return invalidArgument('OBJECT_TOO_LARGE', `object is larger than ${maxBytes} bytes`, [
    { field: 'body', description: `at most ${maxBytes} bytes` },
  ]);
}

/**
 * A pass-through that hashes and counts what flows through it and fails the stream (so the
 * pipeline writing the object fails and the adapter discards it) once more than `maxBytes` passed.
 */
export class BodyMeter extends Transform {
  #hash = createHash('sha256');
  #size = 0;
  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#size > this.maxBytes) {
      callback(objectTooLarge(this.maxBytes));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** Bytes seen so far (all of them once the stream finished). */
  get size(): number {
    return this.#size;
  }

  /** SHA-256 hex of the whole body; call once, after the stream finished. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** A body as a stream; bytes in memory become a one-chunk stream. */
export function bodyStream(body: ObjectBody): Readable {
  return body instanceof Readable ? body : Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}
