#!/usr/bin/env node
/**
 * Screenshots of every page against the mock gateway (no Python backend needed):
 *   npm run build && node scripts/screenshots.mjs [outDir]
 * The end-to-end test against the real backend writes its own into test-artifacts/ui/.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { launchOptions } from './chromium.mjs';
import { startMockGateway } from './mock-gateway.mjs';

const out = resolve(process.argv[2] ?? new URL('../../test-artifacts/ui/mock', import.meta.url).pathname);
mkdirSync(out, { recursive: true });
const gw = await startMockGateway({ token: 'dev', rate: 80, unavailable: (process.env.MOCK_DOWN ?? 'ast').split(',').filter(Boolean) });
const browser = await chromium.launch(launchOptions);
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(`${gw.url}/login`);
  await page.getByTestId('login-token').fill('dev');
  await page.screenshot({ path: `${out}/login.png` });
  await page.getByTestId('login-submit').click();
  await page.getByTestId('ws-state').and(page.locator('[data-state="open"]')).waitFor();
  await page.waitForTimeout(2500);
  await page.screenshot({ path: `${out}/monitor.png` });
  for (const [path, name] of [['/dashboard', 'dashboard'], ['/voice-transcription', 'voice'], ['/recording', 'recording'], ['/settings', 'settings']]) {
    await page.getByRole('navigation').locator(`a[href="${path}"]`).click();
    await page.waitForTimeout(1200);
    await page.screenshot({ path: `${out}/${name}.png` });
  }
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await gw.close();
}
