import { create, toBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';

/**
 * The FileDescriptorSet of grpc/health/v1/health.proto. nice-grpc-server-health ships generated
 * code but no descriptor, and reflection can only list and describe services it has descriptors
 * for; without this `buf curl` / grpcurl / k8s debugging could not call Health/Check.
 */
export function healthDescriptorSet(): Uint8Array {
  const LABEL_OPTIONAL = FieldDescriptorProto_Label.OPTIONAL;
  const TYPE_STRING = FieldDescriptorProto_Type.STRING;
  const TYPE_ENUM = FieldDescriptorProto_Type.ENUM;
  const set = create(FileDescriptorSetSchema, {
    file: [
      {
        name: 'grpc/health/v1/health.proto',
        package: 'grpc.health.v1',
        syntax: 'proto3',
        messageType: [
          { name: 'HealthCheckRequest', field: [{ name: 'service', number: 1, label: LABEL_OPTIONAL, type: TYPE_STRING, jsonName: 'service' }] },
          {
            name: 'HealthCheckResponse',
            field: [
              {
                name: 'status',
                number: 1,
                label: LABEL_OPTIONAL,
                type: TYPE_ENUM,
                typeName: '.grpc.health.v1.HealthCheckResponse.ServingStatus',
                jsonName: 'status',
              },
            ],
            enumType: [
              {
                name: 'ServingStatus',
                value: [
                  { name: 'UNKNOWN', number: 0 },
                  { name: 'SERVING', number: 1 },
                  { name: 'NOT_SERVING', number: 2 },
                  { name: 'SERVICE_UNKNOWN', number: 3 },
                ],
              },
            ],
          },
        ],
        service: [
          {
            name: 'Health',
            method: [
              { name: 'Check', inputType: '.grpc.health.v1.HealthCheckRequest', outputType: '.grpc.health.v1.HealthCheckResponse' },
              {
                name: 'Watch',
                inputType: '.grpc.health.v1.HealthCheckRequest',
                outputType: '.grpc.health.v1.HealthCheckResponse',
                serverStreaming: true,
              },
            ],
          },
        ],
      },
    ],
  });
  return toBinary(FileDescriptorSetSchema, set);
}

/**
 * Joins serialized FileDescriptorSets. The set is one repeated field, and protobuf parses
 * concatenated encodings of a repeated field as the union, so plain byte concatenation is exact.
 */
export function mergeDescriptorSets(...sets: Uint8Array[]): Buffer {
  return Buffer.concat(sets);
}
