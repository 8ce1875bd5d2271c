import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createLocalObjectStorage, newObjectKey, type ObjectStorage } from '@core/platform/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeObjectStorageContract, HOSTILE_KEYS } from './storage-contract.js';

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

let workDir: string;
let root: string;
let storage: ObjectStorage;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'storage-local-'));
  root = path.join(workDir, 'root');
  storage = createLocalObjectStorage({ root });
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describeObjectStorageContract('local', () => storage);

describe('local object storage', () => {
  it('keeps the bytes and a JSON description side by side under objects/', async () => {
    const key = `uploads/${newObjectKey()}`;
    await storage.put(key, Buffer.from('abc'), { contentType: 'text/plain', metadata: { 'uploaded-by': 'u1' } });
    expect(await readFile(path.join(root, 'objects', key), 'utf8')).toBe('abc');
    const meta = JSON.parse(await readFile(path.join(root, 'objects', `${key}.meta.json`), 'utf8'));
    expect(meta).toMatchObject({ contentType: 'text/plain', size: 3, metadata: { 'uploaded-by': 'u1' } });
  });

  it('leaves no temporary file behind, whether a put succeeds or fails', async () => {
    await storage.put(newObjectKey(), Readable.from([Buffer.from('ok')]), { contentType: 'text/plain' });
    await expect(storage.put(newObjectKey(), Readable.from([Buffer.alloc(20)]), { contentType: 'text/plain', maxBytes: 10 })).rejects.toThrow(
      'larger than 10 bytes',
    );
    const failing = new Readable({
      read() {
        this.destroy(new Error('boom'));
      },
    });
    await expect(storage.put(newObjectKey(), failing, { contentType: 'text/plain' })).rejects.toThrow('boom');
    expect(await filesUnder(path.join(root, 'tmp'))).toEqual([]);
  });

  it('never touches a file outside the root, whatever the key', async () => {
    const secret = path.join(workDir, 'secret.txt');
    await writeFile(secret, 'do not read');
    const before = await filesUnder(workDir);
    for (const key of [...HOSTILE_KEYS, '../secret.txt', '../../secret', 'objects/../../secret']) {
      await expect(storage.put(key, Buffer.from('pwned'), { contentType: 'text/plain' })).rejects.toMatchObject({ reason: 'INVALID_OBJECT_KEY' });
      await expect(storage.get(key)).rejects.toMatchObject({ reason: 'INVALID_OBJECT_KEY' });
      await expect(storage.delete(key)).rejects.toMatchObject({ reason: 'INVALID_OBJECT_KEY' });
    }
    expect(await readFile(secret, 'utf8')).toBe('do not read');
    expect(await filesUnder(workDir)).toEqual(before);
  });

  it('treats a description without bytes (a put that died between its renames) as no object', async () => {
    const key = newObjectKey();
    await storage.put(key, Buffer.from('abc'), { contentType: 'text/plain' });
    await unlink(path.join(root, 'objects', key));
    expect(await storage.stat(key)).toBeUndefined();
    expect(await storage.get(key)).toBeUndefined();
  });

  it('resolves a relative root against the working directory', async () => {
    const relative = path.relative(process.cwd(), path.join(workDir, 'relative-root'));
    const local = createLocalObjectStorage({ root: relative });
    const key = newObjectKey();
    await local.put(key, Buffer.from('r'), { contentType: 'text/plain' });
    expect(await readFile(path.join(workDir, 'relative-root', 'objects', key), 'utf8')).toBe('r');
  });
});
