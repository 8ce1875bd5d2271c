import { z } from 'zod';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import { createLocalObjectStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { createS3ObjectStorage } from './s3-storage.js';

/** Environment values are strings; an empty string means "unset" (common in k8s manifests). */
const optionalString = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v));

/** Environment booleans: 'true'/'false' (also 1/0, yes/no), since z.coerce.boolean('false') is true. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Object storage settings, spreadable into a service's schema (`...storageConfig`).
 * STORAGE_DRIVER `local` (default) keeps objects under STORAGE_LOCAL_ROOT; `s3` uses
 * STORAGE_S3_BUCKET at STORAGE_S3_ENDPOINT (AWS when unset) with STORAGE_S3_REGION,
 * STORAGE_S3_FORCE_PATH_STYLE, static STORAGE_S3_ACCESS_KEY_ID/STORAGE_S3_SECRET_ACCESS_KEY (the AWS
 * default credential chain when unset), STORAGE_S3_KEY_PREFIX and STORAGE_S3_CHECKSUMS.
 */
export const storageConfig = {
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  STORAGE_LOCAL_ROOT: z.string().min(1).default('.data/files'),
  STORAGE_S3_BUCKET: optionalString(),
  STORAGE_S3_REGION: z.string().min(1).default('us-east-1'),
  STORAGE_S3_ENDPOINT: optionalString().pipe(z.union([z.undefined(), z.url({ protocol: /^https?$/ })])),
  STORAGE_S3_FORCE_PATH_STYLE: flag(false),
  STORAGE_S3_ACCESS_KEY_ID: optionalString(),
  STORAGE_S3_SECRET_ACCESS_KEY: optionalString(),
  STORAGE_S3_KEY_PREFIX: optionalString(),
  STORAGE_S3_CHECKSUMS: z.enum(['when_supported', 'when_required']).default('when_supported'),
};

/** The parsed values of {@link storageConfig}. */
export type StorageConfig = { [K in keyof typeof storageConfig]: z.infer<(typeof storageConfig)[K]> };

/**
 * The adapter the configuration selects. Settings that only make sense together are checked here
 * (the fragment is spread into larger schemas, where cross-field rules do not fit): `s3` needs a
 * bucket, and static credentials need both halves. Throws {@link ConfigError} at start otherwise.
 */
export function createObjectStorage(config: StorageConfig, options: { logger?: Logger } = {}): ObjectStorage {
  if (config.STORAGE_DRIVER === 'local') return createLocalObjectStorage({ root: config.STORAGE_LOCAL_ROOT });
  const issues: { variable: string; problem: string }[] = [];
  if (config.STORAGE_S3_BUCKET === undefined) {
    issues.push({ variable: 'STORAGE_S3_BUCKET', problem: 'required when STORAGE_DRIVER=s3' });
  }
  const keyId = config.STORAGE_S3_ACCESS_KEY_ID;
  const secret = config.STORAGE_S3_SECRET_ACCESS_KEY;
  if ((keyId === undefined) !== (secret === undefined)) {
    issues.push({
      variable: keyId === undefined ? 'STORAGE_S3_ACCESS_KEY_ID' : 'STORAGE_S3_SECRET_ACCESS_KEY',
      problem: 'set both STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY, or neither',
    });
  }
  const prefix = config.STORAGE_S3_KEY_PREFIX;
  if (prefix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]*(?:\/[A-Za-z0-9][A-Za-z0-9_-]*)*\/$/.test(prefix)) {
    issues.push({ variable: 'STORAGE_S3_KEY_PREFIX', problem: "expected segments of [A-Za-z0-9_-] ending in '/', e.g. gateway/" });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return createS3ObjectStorage({
    bucket: config.STORAGE_S3_BUCKET as string,
    region: config.STORAGE_S3_REGION,
    ...(config.STORAGE_S3_ENDPOINT !== undefined ? { endpoint: config.STORAGE_S3_ENDPOINT } : {}),
    forcePathStyle: config.STORAGE_S3_FORCE_PATH_STYLE,
    ...(keyId !== undefined && secret !== undefined ? { credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
    ...(prefix !== undefined ? { keyPrefix: prefix } : {}),
    checksums: config.STORAGE_S3_CHECKSUMS,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}
