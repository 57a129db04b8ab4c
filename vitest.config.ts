import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests boot a whole local cloud; give them room on a shared 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    restoreMocks: true,
    // Property tests draw from a fixed seed unless FC_SEED says otherwise (see the file).
    setupFiles: ['test/helpers/fast-check-seed.ts'],
    // The SDK warns that it will drop Node 20 in 2027 (Lambda runs Node 22); keep test output readable.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
