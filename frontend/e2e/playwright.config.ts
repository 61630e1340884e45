import { defineConfig } from '@playwright/test';

/**
 * End-to-end run against the real backend, in Debian's Chromium (no browser download).
 *   TIMAO_E2E_URL + TIMAO_E2E_TOKEN: use a backend that is already running;
 *   otherwise global-setup starts `timao up --demo` (TIMAO_E2E_CMD overrides the command) and stops it after.
 */
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.e2e\.ts$/,
  timeout: 240_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../test-artifacts/ui/playwright',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  use: {
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
});
