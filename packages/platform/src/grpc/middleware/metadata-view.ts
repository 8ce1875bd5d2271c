import type { Metadata as GrpcJsMetadata, MetadataValue as GrpcJsMetadataValue } from '@grpc/grpc-js';
import { Metadata, type MetadataValue } from 'nice-grpc';

type Values = Array<string | Uint8Array>;

/** nice-grpc's reading of grpc-js values: string values of one key join into one, binary ones stay apart. */
function niceValues(key: string, values: GrpcJsMetadataValue[]): Values {
  if (key.endsWith('-bin') || values.length < 2) return values.slice();
  return [values.join(', ')];
}

/**
 * The request metadata of a call as nice-grpc's `Metadata`, read straight from grpc-js's object.
 * nice-grpc copies every request header into a new map on every call; most calls read one or
 * two keys (the token, the trace) or none, so reads go to grpc-js and only a write makes the copy
 * (grpc-js's own object is never changed). Values read exactly as nice-grpc's copy would give them.
 */
class RequestMetadata implements Metadata {
  #source: GrpcJsMetadata;
  #copy: Metadata | undefined;

  constructor(source: GrpcJsMetadata) {
    this.#source = source;
  }

  #writable(): Metadata {
    if (!this.#copy) {
      const copy = Metadata();
      for (const [key, values] of this.#entries()) copy.set(key, values);
      this.#copy = copy;
    }
    return this.#copy;
  }

  *#entries(): IterableIterator<[string, Values]> {
    for (const key of Object.keys(this.#source.getMap())) yield [key, niceValues(key, this.#source.get(key))];
  }

  set<Key extends string>(key: Key, value: MetadataValue<Key> | Array<MetadataValue<Key>>): Metadata {
    this.#writable().set(key, value);
    return this;
  }

  append<Key extends string>(key: Key, value: MetadataValue<Key>): Metadata {
    this.#writable().append(key, value);
    return this;
  }

  delete(key: string): void {
    this.#writable().delete(key);
  }

  get<Key extends string>(key: Key): MetadataValue<Key> | undefined {
    if (this.#copy) return this.#copy.get(key);
    const normalized = key.toLowerCase();
    const values = this.#source.get(normalized);
    if (values.length === 0) return undefined;
    const value = values.length === 1 || normalized.endsWith('-bin') ? values[0] : values.join(', ');
    return value as MetadataValue<Key>;
  }

  getAll<Key extends string>(key: Key): Array<MetadataValue<Key>> {
    if (this.#copy) return this.#copy.getAll(key);
    const normalized = key.toLowerCase();
    return niceValues(normalized, this.#source.get(normalized)) as Array<MetadataValue<Key>>;
  }

  has(key: string): boolean {
    if (this.#copy) return this.#copy.has(key);
    return this.#source.get(key.toLowerCase()).length > 0;
  }

  [Symbol.iterator](): IterableIterator<[string, Values]> {
    return this.#copy ? this.#copy[Symbol.iterator]() : this.#entries();
  }
}

/** A nice-grpc view of a grpc-js call's request metadata (see {@link RequestMetadata}). */
export function requestMetadata(source: GrpcJsMetadata): Metadata {
  return new RequestMetadata(source);
}

/**
 * One header of a grpc-js call as nice-grpc's `metadata.get(key)` would give it (several values of
 * a text key joined), for the few headers the server itself reads on every call.
 */
export function requestHeader(source: GrpcJsMetadata, key: string): string | undefined {
  const values = source.get(key);
  if (values.length === 0) return undefined;
  const text = values.length === 1 ? values[0] : values.join(', ');
  return typeof text === 'string' ? text : undefined;
}
