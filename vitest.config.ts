import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships ESM (index.mjs, which Vite picks for our sources) and CJS (index.js, which
    // the Apollo packages require). Two copies break `instanceof GraphQLError` and schema checks, so
    // tests use the CJS build everywhere, as Node does at run time.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    // Two cores: more parallel files only add contention on PostgreSQL and the event loop.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
