import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, type Logger, type Metrics } from '@core/platform';
import { sendGraphQLError } from '@core/platform/graphql-http';
import { assertObjectKey, newObjectKey, type ObjectStorage, type StoredObject, storageConfig } from '@core/platform/storage';
import busboy from 'busboy';
import { Counter } from 'prom-client';
import { z } from 'zod';

/** The verified caller of an upload, as {@link UploadHandlerOptions.authenticate} establishes it. */
export interface UploadCaller {
  /** Stable id of the caller (the token's `sub`); recorded as the object's `uploaded-by`. */
  subject: string;
  roles: string[];
}

/** Options of {@link createUploadHandler}. */
export interface UploadHandlerOptions {
  storage: ObjectStorage;
  /**
   * The caller of a request from its credentials (bearer token): undefined when there are none or
   * they are not valid. May also throw a DomainError (UNAUTHENTICATED with the token's reason,
   * UNAVAILABLE when the key set cannot be fetched), which is answered with its code.
   */
  authenticate: (req: IncomingMessage) => Promise<UploadCaller | undefined>;
  /** When given, the caller must hold one of these roles (403 otherwise); any signed-in caller when omitted. */
  roles?: readonly string[];
  logger: Logger;
  /** Registry for `uploads_total{outcome}` and `upload_stored_bytes_total`; no metrics when omitted. */
  metrics?: Metrics;
  /** Largest accepted file; default 10 MiB. */
  maxFileBytes?: number;
  /** Objects are stored under `<keyPrefix>/<id>` (an object key itself, e.g. `uploads`, the default). */
  keyPrefix?: string;
}

/** The answer to a successful upload: what later mutations reference the file by. */
export interface UploadResult {
  /** Opaque id (a UUID) of the stored file. */
  id: string;
  /** Media type decided from the file's first bytes, never from the client's claims. */
  contentType: string;
  size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
}

/** Media types an upload may have, decided by {@link sniffContentType}. */
export type UploadContentType = 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';

/**
 * Upload settings for the gateway's configuration schema (`...uploadConfig`): where files go
 * ({@link storageConfig}: STORAGE_DRIVER local|s3, STORAGE_LOCAL_ROOT, STORAGE_S3_*) and
 * UPLOAD_MAX_BYTES, the largest accepted file (default 10 MiB, at most 1 GiB).
 */
export const uploadConfig = {
  ...storageConfig,
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024),
};

/** Refused requests whose declared body is at most this big are drained rather than cut off. */
const DRAINABLE_BODY_BYTES = 64 * 1024;
/** How many leading bytes {@link sniffContentType} looks at. */
export const SNIFF_BYTES = 16;
const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Form fields are not used; a few small ones (e.g. a client's own label) are tolerated and ignored. */
const MAX_FIELDS = 8;
const MAX_FIELD_BYTES = 1024;
/** Multipart framing, part headers and the tolerated fields on top of the file itself. */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;
/** Longest original file name kept, in percent-encoded bytes (S3 metadata is 2 KiB in all). */
const MAX_NAME_METADATA_BYTES = 1024;

const startsWith = (head: Buffer, bytes: readonly number[], offset = 0): boolean =>
  head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/**
 * The media type of a file from its first bytes (at least {@link SNIFF_BYTES} of them when the
 * file is that long): JPEG, PNG, WebP or PDF; undefined for anything else. Only the content
 * decides, because a client's file name and declared type are whatever the client wants them to be.
 */
export function sniffContentType(head: Buffer): UploadContentType | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  return undefined;
}

/**
 * Whether the first bytes are a program (ELF, PE/DOS `MZ`, Mach-O, a `#!` script). Such files are
 * refused like any other unsupported type; the distinction is for the log and the error reason.
 */
export function looksExecutable(head: Buffer): boolean {
  return (
    startsWith(head, [0x7f, 0x45, 0x4c, 0x46]) ||
    startsWith(head, ascii('MZ')) ||
    startsWith(head, ascii('#!')) ||
    [
      [0xfe, 0xed, 0xfa, 0xce],
      [0xfe, 0xed, 0xfa, 0xcf],
      [0xce, 0xfa, 0xed, 0xfe],
      [0xcf, 0xfa, 0xed, 0xfe],
      [0xca, 0xfe, 0xba, 0xbe],
    ].some((magic) => startsWith(head, magic))
  );
}

/**
 * A client's file name reduced to something safe to keep and show: no directories, no control or
 * bidirectional-override characters, no leading dots, Unicode NFC, bounded length. It is metadata
 * only; storage keys are generated ids. Undefined when nothing printable is left.
 */
export function sanitizeFileName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  let clean = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/.*[/\\]/u, '')
    .replace(/\s+/gu, ' ')
    .replace(/^[\s.]+/u, '')
    .trim();
  while (clean !== '' && Buffer.byteLength(encodeURIComponent(clean)) > MAX_NAME_METADATA_BYTES) {
    clean = [...clean].slice(0, -1).join('');
  }
  return clean === '' ? undefined : clean;
}

/** Outcome label of `uploads_total`. */
type Outcome =
  | 'stored'
  | 'unauthenticated'
  | 'forbidden'
  | 'method_not_allowed'
  | 'too_large'
  | 'unsupported_type'
  | 'bad_request'
  | 'unavailable';

/** An answer other than 201, decided somewhere along the request. */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    readonly message: string,
    readonly outcome: Outcome,
  ) {}
}

const tooLarge = (maxFileBytes: number) =>
  new Refusal(413, 'PAYLOAD_TOO_LARGE', 'FILE_TOO_LARGE', `the file is larger than ${maxFileBytes} bytes`, 'too_large');
const badRequest = (reason: string, message: string) => new Refusal(400, 'BAD_REQUEST', reason, message, 'bad_request');

/** Fails the request stream once more than `maxBytes` arrived, whatever Content-Length claimed. */
class RequestMeter extends Transform {
  #bytes = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    callback(this.#bytes > this.maxBytes ? new RequestTooLarge() : null, chunk);
  }
}
class RequestTooLarge extends Error {}

/**
 * Reads a stream until at least `size` bytes (or its end) arrived and pauses it there. Returns
 * everything read (possibly more than `size`) and whether the stream already ended.
 */
function readHead(stream: Readable, size: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (ended: boolean) => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      resolve({ head: Buffer.concat(chunks, length), ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= size) {
        stream.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onError = (err: Error) => {
      stream.off('data', onData).off('end', onEnd);
      reject(err);
    };
    stream.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function sendRefusal(res: ServerResponse, refusal: Refusal, headers: Record<string, string> = {}): void {
  sendGraphQLError(res, refusal.status, refusal.message, { code: refusal.code, reason: refusal.reason }, { 'cache-control': 'no-store', ...headers });
}

/** Whether the request may still have unread body bytes on the wire. */
function hasBody(req: IncomingMessage): boolean {
  return !req.complete && (req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined);
}

/**
 * `POST /uploads`: one file per request as `multipart/form-data`, from an authenticated caller.
 * The file streams through the parser into the storage port: its type is decided by its first
 * bytes (JPEG, PNG, WebP, PDF), its size is bounded, and anything refused or failed midway leaves
 * no object behind. Answers 201 {@link UploadResult}; otherwise a JSON error
 * `{ errors: [{ message, extensions: { code, reason } }] }` with 400, 401, 403, 405, 413, 415 or 503.
 */
export function createUploadHandler(options: UploadHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { storage, logger } = options;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) throw new Error(`maxFileBytes must be a positive integer, got ${maxFileBytes}`);
  const keyPrefix = options.keyPrefix ?? 'uploads';
  assertObjectKey(keyPrefix);
  const maxRequestBytes = maxFileBytes + REQUEST_OVERHEAD_BYTES;
  const uploads =
    options.metrics &&
    new Counter({
      name: `${options.metrics.prefix}uploads_total`,
      help: 'POST /uploads requests by outcome (stored, too_large, unsupported_type, unauthenticated, …).',
      labelNames: ['outcome'] as const,
      registers: [options.metrics.registry],
    });
  const storedBytes =
    options.metrics &&
    new Counter({
      name: `${options.metrics.prefix}upload_stored_bytes_total`,
      help: 'Bytes of uploaded files stored.',
      registers: [options.metrics.registry],
    });

  /** The caller, or the refusal to answer; a DomainError of another kind is a bug and rethrown. */
  async function authenticate(req: IncomingMessage): Promise<UploadCaller | Refusal> {
    let caller: UploadCaller | undefined;
    try {
      caller = await options.authenticate(req);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'UNAUTHENTICATED') {
        return new Refusal(401, 'UNAUTHENTICATED', err.reason, err.message, 'unauthenticated');
      }
      if (err instanceof DomainError && err.code === 'UNAVAILABLE') {
        logger.warn({ err }, 'upload: cannot verify credentials');
        return new Refusal(503, 'UNAVAILABLE', err.reason, 'credentials cannot be verified right now', 'unavailable');
      }
      throw err;
    }
    if (caller === undefined) {
      return new Refusal(401, 'UNAUTHENTICATED', 'AUTHENTICATION_REQUIRED', 'uploads need a valid bearer token', 'unauthenticated');
    }
    if (options.roles !== undefined && !caller.roles.some((role) => options.roles?.includes(role))) {
      return new Refusal(403, 'FORBIDDEN', 'ROLE_REQUIRED', `uploads need one of the roles: ${options.roles.join(', ')}`, 'forbidden');
    }
    return caller;
  }

  /**
   * Streams one file part into storage. Never destroys busboy's file stream (that would stall the
   * parser): on refusal or failure the rest of the part is drained and discarded instead.
   */
  async function receiveFile(file: Readable, filename: string | undefined, caller: UploadCaller): Promise<StoredObject | Refusal> {
    const { head, ended } = await readHead(file, SNIFF_BYTES);
    if (head.length === 0) {
      file.resume();
      return badRequest('EMPTY_FILE', 'the file is empty');
    }
    const contentType = sniffContentType(head);
    if (contentType === undefined) {
      file.resume();
      const executable = looksExecutable(head);
      return new Refusal(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        executable ? 'EXECUTABLE_REFUSED' : 'UNSUPPORTED_TYPE',
        'only JPEG, PNG, WebP and PDF files are accepted (decided by their content)',
        'unsupported_type',
      );
    }
    const body = new PassThrough();
    // A failure reaches us through storage.put, which may attach its listeners only after an await.
    body.on('error', () => {});
    body.write(head);
    if (ended) body.end();
    else {
      // A parser error ends the file stream with an error; classic pipe would not pass it on.
      file.once('error', (err) => body.destroy(err));
      file.pipe(body);
    }
    const name = sanitizeFileName(filename);
    try {
      return await storage.put(`${keyPrefix}/${newObjectKey()}`, body, {
        contentType,
        maxBytes: maxFileBytes,
        metadata: { 'uploaded-by': caller.subject, ...(name !== undefined ? { 'original-name': name } : {}) },
      });
    } catch (err) {
      file.unpipe(body);
      file.resume();
      if (err instanceof DomainError && err.reason === 'OBJECT_TOO_LARGE') return tooLarge(maxFileBytes);
      throw err;
    }
  }

  /**
   * Parses the form and stores its file. Settles only after the parser finished (so the connection
   * stays usable) or the request broke.
   */
  async function receiveForm(req: IncomingMessage, caller: UploadCaller): Promise<StoredObject | Refusal> {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // One byte over the limit is read, so storage (the one place that counts) can tell "too large".
        limits: {
          fileSize: maxFileBytes + 1,
          files: 1,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          fieldNameSize: 100,
          parts: MAX_FIELDS + 1,
          headerPairs: 16,
        },
      });
    } catch (err) {
      return badRequest('MALFORMED_MULTIPART', `cannot read the form: ${(err as Error).message}`);
    }
    let refusal: Refusal | undefined;
    const refuse = (r: Refusal) => {
      refusal ??= r;
    };
    let received: Promise<StoredObject | Refusal> | undefined;
    parser.on('file', (_field, file, info) => {
      // The parser reports a broken form itself; without a listener the file's copy would crash the process.
      file.on('error', (err) => logger.debug({ err }, 'upload: file part failed'));
      received = receiveFile(file, info.filename, caller);
      // Settled below; this keeps a storage failure from being an unhandled rejection meanwhile.
      received.catch(() => {});
    });
    parser.on('field', (_name, _value, info) => {
      if (info.nameTruncated || info.valueTruncated) refuse(badRequest('FIELD_TOO_LARGE', `form fields are at most ${MAX_FIELD_BYTES} bytes`));
    });
    parser.on('filesLimit', () => refuse(badRequest('TOO_MANY_FILES', 'send one file per request')));
    parser.on('fieldsLimit', () => refuse(badRequest('TOO_MANY_FIELDS', `at most ${MAX_FIELDS} form fields`)));
    parser.on('partsLimit', () => refuse(badRequest('TOO_MANY_FIELDS', `at most ${MAX_FIELDS} form fields`)));

    // req is piped rather than part of the pipeline: a failed pipeline destroys its streams, and a
    // destroyed request takes the socket with it before the 413/400 could be written.
    const meter = new RequestMeter(maxRequestBytes);
    const parsing = pipeline(meter, parser);
    const onAborted = () => {
      if (!req.complete) meter.destroy(new Error('the request was aborted'));
    };
    req.once('error', onAborted).once('close', onAborted);
    req.pipe(meter);
    let parsed: Refusal | undefined;
    try {
      await parsing;
    } catch (err) {
      parsed = err instanceof RequestTooLarge ? tooLarge(maxFileBytes) : badRequest('MALFORMED_MULTIPART', `cannot read the form: ${(err as Error).message}`);
    } finally {
      req.off('error', onAborted).off('close', onAborted);
      req.unpipe(meter);
    }
    const result = await received?.catch((err: unknown) => {
      // A broken request fails the file stream too; that is the request's fault, not storage's.
      if (parsed !== undefined) return parsed;
      throw err;
    });
    const problem = parsed ?? refusal ?? (result instanceof Refusal ? result : undefined);
    if (problem !== undefined) {
      if (result !== undefined && !(result instanceof Refusal)) await storage.delete(result.key);
      return problem;
    }
    return result ?? badRequest('NO_FILE', 'the form has no file part');
  }

  return async (req, res) => {
    const outcome = (o: Outcome) => uploads?.inc({ outcome: o });
    // Early answers leave the body unread on the wire. A small declared body is read and dropped
    // after the answer (Node does so when the handler does not consume it), so the connection
    // stays usable and a client still sending does not see its socket closed under it; anything
    // larger or of unknown length is not worth reading: close instead.
    const closeIfUnread = (): Record<string, string> => {
      if (!hasBody(req)) return {};
      const declared = Number(req.headers['content-length']);
      return Number.isSafeInteger(declared) && declared <= DRAINABLE_BODY_BYTES ? {} : { connection: 'close' };
    };

    if (req.method !== 'POST') {
      outcome('method_not_allowed');
      sendRefusal(res, new Refusal(405, 'METHOD_NOT_ALLOWED', 'METHOD_NOT_ALLOWED', 'use POST', 'method_not_allowed'), {
        allow: 'POST',
        ...closeIfUnread(),
      });
      return;
    }
    const caller = await authenticate(req);
    if (caller instanceof Refusal) {
      outcome(caller.outcome);
      logger.info({ reason: caller.reason, status: caller.status }, 'upload refused');
      const challenge =
        caller.status === 401
          ? { 'www-authenticate': req.headers.authorization ? 'Bearer error="invalid_token"' : 'Bearer' }
          : ({} as Record<string, string>);
      sendRefusal(res, caller, { ...challenge, ...closeIfUnread() });
      return;
    }
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('multipart/form-data')) {
      outcome('unsupported_type');
      sendRefusal(res, new Refusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'NOT_MULTIPART', 'send the file as multipart/form-data', 'unsupported_type'), {
        ...closeIfUnread(),
      });
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxRequestBytes) {
      outcome('too_large');
      sendRefusal(res, tooLarge(maxFileBytes), closeIfUnread());
      return;
    }

    let result: StoredObject | Refusal;
    try {
      result = await receiveForm(req, caller);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'UNAVAILABLE')) throw err;
      result = new Refusal(503, 'UNAVAILABLE', err.reason, 'file storage is unavailable, try again later', 'unavailable');
    }
    if (result instanceof Refusal) {
      outcome(result.outcome);
      logger.info({ subject: caller.subject, reason: result.reason, status: result.status }, 'upload refused');
      sendRefusal(res, result, closeIfUnread());
      return;
    }
    const id = result.key.slice(keyPrefix.length + 1);
    outcome('stored');
    storedBytes?.inc(result.size);
    logger.info({ subject: caller.subject, id, contentType: result.contentType, size: result.size }, 'upload stored');
    const answer: UploadResult = { id, contentType: result.contentType, size: result.size, sha256: result.sha256 };
    sendJson(res, 201, answer);
  };
}
