/**
 * Baseline for benchmark (a): the least a gRPC server can do for GetCustomer — a bare @grpc/grpc-js
 * server on the same method path that answers every call with one pre-encoded GetCustomerResponse
 * (BENCH_RESPONSE_B64, a real customer encoded by the generated `GetCustomerResponse.encode`).
 */
import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child.js';

const identity = (b: Buffer) => b;

await serveParent(async () => {
  const response = Buffer.from(process.env.BENCH_RESPONSE_B64 ?? '', 'base64');
  if (response.length === 0) throw new Error('BENCH_RESPONSE_B64 is empty');
  const server = new grpc.Server();
  server.addService(
    {
      GetCustomer: {
        path: '/core.masterdata.v1.MasterDataService/GetCustomer',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      GetCustomer: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, response),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    info: { address: `127.0.0.1:${port}`, responseBytes: response.length },
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
});
