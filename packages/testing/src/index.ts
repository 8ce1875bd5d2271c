export * from './database.js';
export * from './redis.js';
export * from './logger.js';
export * from './tcp-proxy.js';
export * from './tokens.js';
export * from './grpc.js';
