import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat as fileStat, mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../errors.js';
import {
  assertObjectKey,
  assertPutOptions,
  BodyMeter,
  bodyStream,
  type ObjectBody,
  type ObjectStorage,
  type PutObjectOptions,
  type StoredObject,
  type StoredObjectContent,
} from './object-storage.js';

/** Options of {@link createLocalObjectStorage}. */
export interface LocalObjectStorageOptions {
  /** Directory holding everything; created when missing. Relative paths resolve against the cwd. */
  root: string;
}

/** What `<key>.meta.json` holds. */
interface MetaFile {
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
  metadata: Record<string, string>;
}

const META_SUFFIX = '.meta.json';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

/**
 * Object storage in a local directory: `<root>/objects/<key>` holds the bytes and
 * `<root>/objects/<key>.meta.json` the description beside them. Bodies are written (and fsynced)
 * to `<root>/tmp/` first and renamed into place, metadata first and bytes last, so an object is
 * visible only once both are complete; a failed put removes its temporary file.
 *
 * Replacing an existing key renames each file atomically, but a reader racing the replacement may
 * pair the new description with the old bytes; keys are fresh ids, so uploads never replace.
 */
export function createLocalObjectStorage(options: LocalObjectStorageOptions): ObjectStorage {
  const root = path.resolve(options.root);
  const objectsDir = path.join(root, 'objects');
  const tmpDir = path.join(root, 'tmp');

  /** The key's file, checked (beyond the key pattern) to resolve inside the objects directory. */
  function objectPath(key: string): string {
    assertObjectKey(key);
    const file = path.resolve(objectsDir, key);
    if (!file.startsWith(objectsDir + path.sep)) {
      throw invalidArgument('INVALID_OBJECT_KEY', 'object key resolves outside the storage root', [
        { field: 'key', description: 'must stay inside the storage root' },
      ]);
    }
    return file;
  }

  async function readMeta(key: string, file: string): Promise<StoredObject | undefined> {
    let text: string;
    try {
      text = await readFile(file + META_SUFFIX, 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const meta = JSON.parse(text) as MetaFile;
    return { key, size: meta.size, sha256: meta.sha256, contentType: meta.contentType, createdAt: new Date(meta.createdAt), metadata: meta.metadata };
  }

  return {
    driver: 'local',

    async put(key: string, body: ObjectBody, putOptions: PutObjectOptions): Promise<StoredObject> {
      const file = objectPath(key);
      assertPutOptions(putOptions);
      await mkdir(tmpDir, { recursive: true });
      const tmpBody = path.join(tmpDir, randomUUID());
      const tmpMeta = `${tmpBody}${META_SUFFIX}`;
      const meter = new BodyMeter(putOptions.maxBytes);
      try {
        // flush: fsync before close, so a crash after the rename cannot leave a truncated object.
        await pipeline(bodyStream(body), meter, createWriteStream(tmpBody, { flags: 'wx', mode: 0o640, flush: true }));
        const stored: StoredObject = {
          key,
          size: meter.size,
          sha256: meter.digest(),
          contentType: putOptions.contentType,
          createdAt: new Date(),
          metadata: { ...putOptions.metadata },
        };
        const meta: MetaFile = {
          contentType: stored.contentType,
          size: stored.size,
          sha256: stored.sha256,
          createdAt: stored.createdAt.toISOString(),
          metadata: stored.metadata,
        };
        await writeFile(tmpMeta, JSON.stringify(meta), { flag: 'wx', mode: 0o640, flush: true });
        await mkdir(path.dirname(file), { recursive: true });
        await rename(tmpMeta, file + META_SUFFIX);
        await rename(tmpBody, file);
        return stored;
      } catch (err) {
        await Promise.all([removeQuietly(tmpBody), removeQuietly(tmpMeta)]);
        throw err;
      }
    },

    async get(key: string): Promise<StoredObjectContent | undefined> {
      const file = objectPath(key);
      const object = await readMeta(key, file);
      if (object === undefined) return undefined;
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(file, 'r');
      } catch (err) {
        // A description without bytes is a put that died between its two renames.
        if (isMissing(err)) return undefined;
        throw err;
      }
      return { object, body: handle.createReadStream() };
    },

    async stat(key: string): Promise<StoredObject | undefined> {
      const file = objectPath(key);
      const object = await readMeta(key, file);
      if (object === undefined) return undefined;
      try {
        await fileStat(file);
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      return object;
    },

    async delete(key: string): Promise<void> {
      const file = objectPath(key);
      // Bytes first: the object disappears at once, a leftover description is invisible.
      await removeQuietly(file);
      await removeQuietly(file + META_SUFFIX);
    },

    async close(): Promise<void> {},
  };
}
