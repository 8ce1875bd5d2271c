import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { DomainError } from '@core/platform';
import type { ObjectStorage } from '@core/platform/storage';
import { describe, expect, it } from 'vitest';

/** Keys every adapter must refuse: traversal, absolute paths, dots, separators, control bytes. */
export const HOSTILE_KEYS = [
  '',
  '.',
  '..',
  '../outside',
  '../../etc/passwd',
  'a/../../etc/passwd',
  '/etc/passwd',
  'a/',
  'a//b',
  'a\\..\\b',
  'x.meta.json',
  '%2e%2e/x',
  'a\u0000b',
  'ü',
  'k'.repeat(257),
];

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A stream of several chunks, as a multipart parser hands over a file. */
function chunked(bytes: Buffer, size = 7): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

/** A stream that delivers some bytes and then fails, like a client disconnecting mid-upload. */
function failingAfter(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      } else {
        this.destroy(new Error('client went away'));
      }
    },
  });
}

async function expectDomainError(promise: Promise<unknown>, code: string, reason: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect({ code: (err as DomainError).code, reason: (err as DomainError).reason }).toEqual({ code, reason });
}

/**
 * The behaviour every {@link ObjectStorage} adapter owes its callers; run once per adapter.
 * `storage()` is read inside each test, after the caller's beforeAll built it.
 */
export function describeObjectStorageContract(name: string, storage: () => ObjectStorage): void {
  describe(`${name}: ObjectStorage contract`, () => {
    const key = () => `contract/${randomUUID()}`;

    it('stores bytes with their description and reads both back', async () => {
      const bytes = Buffer.from('%PDF-1.7\nhello storage\n');
      const k = key();
      const stored = await storage().put(k, chunked(bytes), {
        contentType: 'application/pdf',
        metadata: { 'uploaded-by': 'user-7', 'original-name': 'Laporan Perjalanan – Ñ 日本.pdf' },
      });
      expect(stored).toMatchObject({ key: k, size: bytes.length, sha256: sha256(bytes), contentType: 'application/pdf' });

      const stat = await storage().stat(k);
      expect(stat).toMatchObject({
        key: k,
        size: bytes.length,
        sha256: sha256(bytes),
        contentType: 'application/pdf',
        metadata: { 'uploaded-by': 'user-7', 'original-name': 'Laporan Perjalanan – Ñ 日本.pdf' },
      });
      expect(Math.abs(stat!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);

      const got = await storage().get(k);
      expect(got?.object).toMatchObject({ size: bytes.length, sha256: sha256(bytes), contentType: 'application/pdf' });
      expect((await buffer(got!.body)).equals(bytes)).toBe(true);
    });

    it('stores bytes given in memory and an empty body', async () => {
      const k = key();
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      expect(await storage().put(k, new Uint8Array(bytes), { contentType: 'image/png' })).toMatchObject({ size: 8, sha256: sha256(bytes) });
      expect((await buffer((await storage().get(k))!.body)).equals(bytes)).toBe(true);

      const empty = key();
      expect(await storage().put(empty, Readable.from([]), { contentType: 'application/octet-stream' })).toMatchObject({
        size: 0,
        sha256: sha256(Buffer.alloc(0)),
      });
      const got = await storage().get(empty);
      expect(got?.object.size).toBe(0);
      expect((await buffer(got!.body)).length).toBe(0);
    });

    it('answers undefined for a missing key, and deleting it is no error', async () => {
      const k = key();
      expect(await storage().get(k)).toBeUndefined();
      expect(await storage().stat(k)).toBeUndefined();
      await expect(storage().delete(k)).resolves.toBeUndefined();
    });

    it('deletes an object', async () => {
      const k = key();
      await storage().put(k, Buffer.from('bye'), { contentType: 'text/plain' });
      await storage().delete(k);
      expect(await storage().stat(k)).toBeUndefined();
      expect(await storage().get(k)).toBeUndefined();
    });

    it('replaces an object put again under the same key', async () => {
      const k = key();
      await storage().put(k, Buffer.from('first'), { contentType: 'text/plain', metadata: { v: '1' } });
      await storage().put(k, Buffer.from('second!'), { contentType: 'text/csv', metadata: { v: '2' } });
      const got = await storage().get(k);
      expect(got?.object).toMatchObject({ size: 7, contentType: 'text/csv', metadata: { v: '2' } });
      expect((await buffer(got!.body)).toString()).toBe('second!');
    });

    it('refuses a body over maxBytes and stores nothing; exactly maxBytes is fine', async () => {
      const over = key();
      await expectDomainError(
        storage().put(over, chunked(Buffer.alloc(1001, 1), 100), { contentType: 'image/png', maxBytes: 1000 }),
        'INVALID_ARGUMENT',
        'OBJECT_TOO_LARGE',
      );
      expect(await storage().stat(over)).toBeUndefined();
      await expectDomainError(
        storage().put(over, Buffer.alloc(1001), { contentType: 'image/png', maxBytes: 1000 }),
        'INVALID_ARGUMENT',
        'OBJECT_TOO_LARGE',
      );
      expect(await storage().stat(over)).toBeUndefined();

      const exact = key();
      expect(await storage().put(exact, chunked(Buffer.alloc(1000, 2), 100), { contentType: 'image/png', maxBytes: 1000 })).toMatchObject({
        size: 1000,
      });
    });

    it('stores nothing when the body fails midway', async () => {
      const k = key();
      await expect(storage().put(k, failingAfter(Buffer.alloc(64 * 1024, 3)), { contentType: 'image/png' })).rejects.toThrow(
        'client went away',
      );
      expect(await storage().stat(k)).toBeUndefined();
    });

    it('refuses keys that are not generated ids, for every operation', async () => {
      for (const hostile of HOSTILE_KEYS) {
        await expectDomainError(storage().put(hostile, Buffer.from('x'), { contentType: 'text/plain' }), 'INVALID_ARGUMENT', 'INVALID_OBJECT_KEY');
        await expectDomainError(storage().get(hostile), 'INVALID_ARGUMENT', 'INVALID_OBJECT_KEY');
        await expectDomainError(storage().stat(hostile), 'INVALID_ARGUMENT', 'INVALID_OBJECT_KEY');
        await expectDomainError(storage().delete(hostile), 'INVALID_ARGUMENT', 'INVALID_OBJECT_KEY');
      }
    });

    it('refuses bad put options with every violation named', async () => {
      const k = key();
      const err = await storage()
        .put(k, Buffer.from('x'), {
          contentType: 'PNG',
          metadata: { Bad_Name: 'x', 'core-sha256': 'forged', big: 'x'.repeat(3000) },
          maxBytes: -1,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).reason).toBe('INVALID_PUT_OPTIONS');
      expect((err as DomainError).fieldViolations.map((v) => v.field).sort()).toEqual(
        ['contentType', 'maxBytes', 'metadata', 'metadata.Bad_Name', 'metadata.core-sha256'].sort(),
      );
      expect(await storage().stat(k)).toBeUndefined();
    });
  });
}
