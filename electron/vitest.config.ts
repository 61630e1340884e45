import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    restoreMocks: true,
  },
});
