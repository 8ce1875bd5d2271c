export {
  assertObjectKey,
  newObjectKey,
  OBJECT_KEY_PATTERN,
  type ObjectBody,
  type ObjectStorage,
  type PutObjectOptions,
  type StoredObject,
  type StoredObjectContent,
} from './object-storage.js';
export { createLocalObjectStorage, type LocalObjectStorageOptions } from './local-storage.js';
export { createS3ObjectStorage, type S3ObjectStorageOptions } from './s3-storage.js';
export { createObjectStorage, type StorageConfig, storageConfig } from './config.js';
