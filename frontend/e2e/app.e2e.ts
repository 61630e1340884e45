import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The operator's show, end to end against the real backend (`timao up --demo`): log in with the
 * token, start a room on the fake Douyin server and see comments and gifts arrive, the dashboard
 * chart draws, start and stop a recording, see a subtitle. A screenshot of each page goes to
 * test-artifacts/ui/. Each test stands alone, so one missing piece of the backend fails only its test.
 */

const shots = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test-artifacts', 'ui');
mkdirSync(shots, { recursive: true });
const url = () => process.env.TIMAO_E2E_URL!;
const token = () => process.env.TIMAO_E2E_TOKEN!;
const room = process.env.TIMAO_E2E_ROOM ?? '123456';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: resolve(shots, `${name}.png`), fullPage: false });
}

async function nav(page: Page, href: string): Promise<void> {
  await page.getByRole('navigation').locator(`a[href="${href}"]`).click();
}

/** Logged in through the remembered token (the login form itself is the first test). */
async function open(page: Page, href: string): Promise<void> {
  const prefs = JSON.stringify({ state: { token: token(), rememberToken: true, gatewayUrl: '', lang: 'zh', theme: 'light' }, version: 1 });
  await page.addInitScript((p) => localStorage.setItem('timao.prefs', p), prefs);
  await page.goto(`${url()}/`);
  await expect(page.getByTestId('ws-state')).toHaveAttribute('data-state', 'open');
  if (href !== '/') await nav(page, href);
}

let pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

test('log in with the token, start a room, see comments and gifts arrive', async ({ page }) => {
  await page.goto(`${url()}/`);
  await expect(page).toHaveURL(/\/login$/);
  await page.getByTestId('login-token').fill(token());
  await shot(page, 'login');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('room-input')).toBeVisible();
  await expect(page.getByTestId('health-strip')).toBeVisible();
  await expect(page.getByTestId('ws-state')).toHaveAttribute('data-state', 'open');

  await page.getByTestId('room-input').fill(room);
  await page.getByTestId('room-start').click();
  const list = page.getByTestId('virtual-list');
  await expect(list.locator('[data-type="chat"]').first()).toBeVisible({ timeout: 60_000 });
  await expect(list.locator('[data-type="gift"]').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('stat-comments')).not.toHaveText('0');
  await shot(page, 'monitor');
});

test('the dashboard chart draws', async ({ page }) => {
  await open(page, '/dashboard');
  const chart = page.getByTestId('viewer-chart');
  await expect(chart).toBeVisible({ timeout: 60_000 });
  // a real series, not an empty chart: the backend has data for the session
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(0);
  const canvas = chart.locator('canvas');
  await expect
    .poll(async () => canvas.evaluate((c: HTMLCanvasElement) => c.width > 0 && c.toDataURL().length > 2000), { timeout: 30_000 })
    .toBe(true);
  await shot(page, 'dashboard');
});

test('start and stop a recording', async ({ page }) => {
  await open(page, '/recording');
  await page.getByTestId('recording-url').fill(room);
  await page.getByTestId('recording-start').click();
  // The demo records its own room too: follow the recording of the room this test started.
  const rec = page.locator(`[data-testid="recording"][data-source="${room}"]`).first();
  await expect(rec).toHaveAttribute('data-state', 'recording', { timeout: 90_000 });
  await shot(page, 'recording');
  await rec.getByTestId('recording-stop').click();
  await expect(rec).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await shot(page, 'recording-stopped');
});

test('see a subtitle', async ({ page }) => {
  await open(page, '/voice-transcription');
  await expect(page.getByTestId('voice-start')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('voice-session').locator('option').first()).not.toHaveAttribute('value', '', { timeout: 30_000 });
  await page.getByTestId('voice-start').click();
  await expect(page.getByTestId('ast-job').first()).toBeVisible({ timeout: 60_000 });
  const live = page.getByTestId('live-subtitles').locator('p').filter({ hasNotText: /等待字幕/ });
  const history = page.getByTestId('transcript-history').locator('li');
  await expect.poll(async () => (await live.count()) + (await history.count()), { timeout: 120_000 }).toBeGreaterThan(0);
  await shot(page, 'voice-transcription');
});

test('settings page', async ({ page }) => {
  await open(page, '/settings');
  await expect(page.getByLabel('网关地址')).toBeVisible();
  await shot(page, 'settings');
});
