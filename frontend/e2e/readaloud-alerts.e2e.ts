import { expect, test, type Page } from '@playwright/test';

/**
 * Read-aloud (语音播报) and alerts in the real Chromium against `timao up --demo`: the demo room's comments and
 * gifts are read through the Web Speech API — here a stand-in `speechSynthesis`, injected before the page loads,
 * that records each utterance and ends it after `window.__speech.durationMs` — 跳过 cancels the line being read,
 * and the demo's questions, keywords and big gifts raise alerts: a WebAudio beep, a list and a highlighted row.
 */

const url = () => process.env.TIMAO_E2E_URL!;
const token = () => process.env.TIMAO_E2E_TOKEN!;

interface Spoken {
  text: string;
  lang: string;
  volume: number;
  voice: string | null;
}

declare global {
  interface Window {
    __speech: { spoken: Spoken[]; cancels: number; durationMs: number };
    __beeps: number;
  }
}

function installStandIns(): void {
  window.__speech = { spoken: [], cancels: 0, durationMs: 300 };
  window.__beeps = 0;
  class StandInUtterance {
    lang = '';
    volume = 1;
    rate = 1;
    voice: { name: string } | null = null;
    onend: (() => void) | null = null;
    onerror: ((e: { error: string }) => void) | null = null;
    constructor(public text: string) {}
  }
  const voices = [
    { voiceURI: 'en-stand-in', name: 'English (stand-in)', lang: 'en-US', localService: true, default: true },
    { voiceURI: 'zh-stand-in', name: '中文普通话（stand-in）', lang: 'zh-CN', localService: true, default: false },
  ];
  let current: StandInUtterance | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const synth = {
    speak(u: StandInUtterance) {
      if (current) throw new Error('speak() while an utterance is still being read');
      window.__speech.spoken.push({ text: u.text, lang: u.lang, volume: u.volume, voice: u.voice?.name ?? null });
      current = u;
      timer = setTimeout(() => {
        if (current !== u) return;
        current = null;
        u.onend?.();
      }, window.__speech.durationMs);
    },
    cancel() {
      window.__speech.cancels += 1;
      clearTimeout(timer);
      const u = current;
      current = null;
      u?.onerror?.({ error: 'interrupted' });
    },
    getVoices: () => voices,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  Object.defineProperty(window, 'SpeechSynthesisUtterance', { value: StandInUtterance, configurable: true });
  // Count the alert tones: every beep starts an oscillator.
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
    window.__beeps += 1;
    return start.call(this, when);
  };
}

async function spoken(page: Page): Promise<Spoken[]> {
  return page.evaluate(() => window.__speech.spoken);
}

let pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

test('read-aloud reads the demo room with a Chinese voice, 跳过 skips, and alerts beep and highlight', async ({ page }) => {
  const prefs = JSON.stringify({ state: { token: token(), rememberToken: true, gatewayUrl: '', lang: 'zh', theme: 'light' }, version: 1 });
  // Up to 120 lines a minute, so the short stand-in utterances keep up with the demo room; a repeat within the hour is skipped.
  const readaloud = JSON.stringify({ state: { settings: { enabled: false, maxPerMinute: 120, repeatWindowMs: 3_600_000 } }, version: 1 });
  await page.addInitScript(
    ([p, r]) => {
      localStorage.setItem('timao.prefs', p!);
      if (!localStorage.getItem('timao.readaloud')) localStorage.setItem('timao.readaloud', r!);
    },
    [prefs, readaloud],
  );
  await page.addInitScript(installStandIns);
  await page.goto(`${url()}/`);
  await expect(page.getByTestId('ws-state')).toHaveAttribute('data-state', 'open');
  // The demo watches its own room; wait for its events before switching on.
  await expect(page.getByTestId('virtual-list').locator('[data-type="chat"]').first()).toBeVisible({ timeout: 90_000 });
  expect(await spoken(page)).toEqual([]); // off until switched on

  await page.getByTestId('readaloud-toggle').check();
  await expect(page.getByTestId('readaloud')).toHaveAttribute('data-enabled', 'true');

  // Comments and a gift, read with the zh-CN voice.
  await expect
    .poll(async () => {
      const lines = (await spoken(page)).map((s) => s.text);
      return lines.some((t) => /^.+说：.+/.test(t)) && lines.some((t) => /^感谢.+送出的.+/.test(t));
    }, { timeout: 120_000, intervals: [500] })
    .toBe(true);
  const lines = await spoken(page);
  for (const s of lines) {
    expect(s.lang).toBe('zh-CN');
    expect(s.voice).toBe('中文普通话（stand-in）');
    expect(s.text).not.toMatch(/https?:|\[赞\]|\[玫瑰\]|👀/); // links and emoji-only comments are not read
  }
  // The demo repeats its phrases: within the repeat window each comment text is read once.
  const comments = lines.map((s) => /说：(.+)$/.exec(s.text)?.[1]).filter((c): c is string => Boolean(c));
  expect(new Set(comments).size).toBe(comments.length);

  // 跳过: lines now last a minute; skipping one cancels it and the next line is read.
  await page.evaluate(() => (window.__speech.durationMs = 60_000));
  const before = (await spoken(page)).length;
  await expect.poll(async () => (await spoken(page)).length, { timeout: 30_000 }).toBeGreaterThan(before);
  const speaking = page.getByTestId('readaloud-speaking');
  const current = (await spoken(page)).at(-1)!.text;
  await expect(speaking).toContainText(current);
  const cancelsBefore = await page.evaluate(() => window.__speech.cancels);
  const count = (await spoken(page)).length;
  await page.getByTestId('readaloud-skip').click();
  expect(await page.evaluate(() => window.__speech.cancels)).toBe(cancelsBefore + 1);
  await expect.poll(async () => (await spoken(page)).length, { timeout: 30_000 }).toBeGreaterThan(count);
  await expect(page.getByTestId('readaloud-counts')).toContainText('手动跳过 1');

  // Alerts: the demo asks "多少钱？", wants "链接", sends 跑车 (1,200 diamonds).
  await expect(page.getByTestId('alert-item').first()).toBeVisible({ timeout: 60_000 });
  await expect.poll(async () => page.getByTestId('virtual-list').locator('[data-alert]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect.poll(async () => page.evaluate(() => window.__beeps), { timeout: 10_000 }).toBeGreaterThan(0);

  // Switched off, nothing more is read.
  await page.getByTestId('readaloud-toggle').uncheck();
  const atOff = (await spoken(page)).length;
  await page.waitForTimeout(3000);
  expect((await spoken(page)).length).toBe(atOff);
});
