import { defineConfig } from 'vitest/config';

// Test files run in parallel, each against its own database (cloned from one migrated template, see
// test/global-setup.ts) and its own Redis key prefix, so they never see each other's data.
export default defineConfig({
  // graphql ships both .mjs and .js builds; vitest would otherwise load the ESM build for our code and the CJS build
  // for CommonJS dependencies, giving two "graphql" realms. Pin every import to the CommonJS entry, as Node does.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
