import { readFileSync } from 'node:fs';

export * as auditV1 from './audit-v1.js';
export * as commonV1 from './common-v1.js';
export * as identityV1 from './identity-v1.js';
export * as masterdataV1 from './masterdata-v1.js';

let descriptorSet: Buffer | undefined;

/**
 * The serialized FileDescriptorSet of every contract (with imports), built by `buf build`. gRPC
 * server reflection serves it so `buf curl` and grpcurl can call services without local .proto files.
 */
export function protoDescriptorSet(): Buffer {
  descriptorSet ??= readFileSync(new URL('./gen/descriptors.binpb', import.meta.url));
  return descriptorSet;
}
