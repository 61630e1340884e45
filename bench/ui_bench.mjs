#!/usr/bin/env node
/**
 * UI benchmark in headless Chromium (Debian's /usr/bin/chromium), against the built bundle served by
 * a tiny local stand-in gateway (frontend/scripts/mock-gateway.mjs) whose /ws mimics the real one,
 * one event per message. Prints:
 *   - first contentful paint and first meaningful paint (the monitor page rendered) of the built bundle
 *   - bundle size (raw and gzip) of the main chunk and of everything
 *   - with RATE events/s for SECONDS s: frame rate, long tasks over 50 ms, heap growth
 *
 *   cd frontend && npm run build && node ../bench/ui_bench.mjs
 *   env: UI_BENCH_RATE=1000 UI_BENCH_SECONDS=60 UI_BENCH_HISTORY=20000 CHROMIUM_PATH=/usr/bin/chromium
 *
 * History is set to 20,000 events by default so the run reaches the bound and shows the heap going
 * flat (at 1,000 events/s the default 100,000 would need 100 s to fill).
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const frontend = resolve(here, '..', 'frontend');
const require = createRequire(join(frontend, 'package.json'));
const { chromium } = require('playwright-core');
const { startMockGateway } = await import(join(frontend, 'scripts', 'mock-gateway.mjs'));
const { launchOptions } = await import(join(frontend, 'scripts', 'chromium.mjs'));

const RATE = Number(process.env.UI_BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.UI_BENCH_SECONDS ?? 60);
const HISTORY = Number(process.env.UI_BENCH_HISTORY ?? 20000);
/** fill the history with this many events (fast) before measuring, e.g. 100000 */
const PREFILL = Number(process.env.UI_BENCH_PREFILL ?? 0);
const TOKEN = 'bench-token';
const dist = join(frontend, 'dist');

function bundleSizes() {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
  const files = readdirSync(join(dist, 'assets'));
  let total = 0;
  let totalGz = 0;
  const rows = [];
  for (const f of files) {
    const buf = readFileSync(join(dist, 'assets', f));
    const gz = gzipSync(buf, { level: 9 }).length;
    total += buf.length;
    totalGz += gz;
    rows.push({ file: f, raw: buf.length, gzip: gz });
  }
  const main = rows.find((r) => r.file === entry);
  return { entry, main, total, totalGz, rows };
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const prefs = JSON.stringify({ state: { token: TOKEN, rememberToken: true, gatewayUrl: '', lang: 'zh', theme: 'light', historySize: HISTORY }, version: 1 });

try {
  statSync(join(dist, 'index.html'));
} catch {
  console.error('frontend/dist is missing: run `npm run build` in frontend/ first');
  process.exit(2);
}

const gw = await startMockGateway({ token: TOKEN, rate: 0, distDir: dist });
const browser = await chromium.launch({ ...launchOptions, args: [...launchOptions.args, '--enable-precise-memory-info'] });
const results = {};
try {
  // ---- first paint of the built bundle (cold context, token already remembered)
  const paints = [];
  for (let i = 0; i < 3; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript((p) => {
      localStorage.setItem('timao.prefs', p);
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-testid="room-input"]')) {
          window.__fmp = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, prefs);
    const page = await ctx.newPage();
    await page.goto(`${gw.url}/`);
    await page.waitForFunction(() => window.__fmp !== undefined);
    const m = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
      fmp: window.__fmp,
    }));
    paints.push(m);
    await ctx.close();
  }
  const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  results.fcp = med(paints.map((p) => p.fcp ?? 0));
  results.fmp = med(paints.map((p) => p.fmp));

  // ---- sustained load
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript((p) => localStorage.setItem('timao.prefs', p), prefs);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await page.goto(`${gw.url}/`);
  await page.locator('[data-testid="ws-state"][data-state="open"]').waitFor();
  const kept = async () => Number(/(\d+)\D*$/.exec((await page.getByTestId('stream-count').textContent()) ?? '')?.[1] ?? 0);
  if (PREFILL > 0) {
    gw.setRate(5000);
    const until = Date.now() + 120_000;
    while ((await kept()) < Math.min(PREFILL, HISTORY) && Date.now() < until) await page.waitForTimeout(500);
    gw.setRate(0);
    await page.waitForTimeout(1000);
    results.prefilled = await kept();
  }
  await page.evaluate(() => {
    window.__frames = [];
    window.__long = [];
    const tick = (t) => {
      window.__frames.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.__gc = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: false });
  });
  // the forced GC of a heap reading is the bench's own long task: its window is left out below
  const heap = async () => {
    const from = await page.evaluate(() => performance.now()).catch(() => 0);
    await cdp.send('HeapProfiler.collectGarbage');
    const used = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    await page.evaluate((f) => window.__gc && window.__gc.push([f, performance.now()]), from).catch(() => undefined);
    return used;
  };
  const heap0 = await heap();
  gw.setRate(RATE);
  const t0 = Date.now();
  const samples = [];
  const warmup = Math.min(SECONDS, Math.max(5, Math.ceil((HISTORY / RATE) * 1.1)));
  let heapWarm = null;
  for (let s = 5; s <= SECONDS; s += 5) {
    await page.waitForTimeout(Math.max(0, t0 + s * 1000 - Date.now()));
    const events = await page.getByTestId('stat-events').textContent();
    samples.push({ s, events });
    if (heapWarm === null && s >= warmup) heapWarm = { s, bytes: await heap() };
  }
  gw.setRate(0);
  const stats = await page.evaluate(() => {
    const f = window.__frames;
    const dur = (f[f.length - 1] - f[0]) / 1000;
    let worst = 0;
    const perSecond = new Map();
    for (let i = 1; i < f.length; i++) {
      worst = Math.max(worst, f[i] - f[i - 1]);
      const sec = Math.floor((f[i] - f[0]) / 1000);
      perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
    }
    const secs = [...perSecond.values()].slice(1, -1);
    const inGc = (t) => window.__gc.some(([a, b]) => t.start + t.duration >= a && t.start <= b + 50);
    const long = window.__long.filter((t) => !inGc(t)).map((t) => t.duration);
    return {
      fps: (f.length - 1) / dur,
      minFps: secs.length ? Math.min(...secs) : 0,
      worstFrameMs: worst,
      longTasks: long.length,
      longestTaskMs: long.length ? Math.max(...long) : 0,
      over100: long.filter((d) => d > 100).length,
      gcExcluded: window.__long.length - long.length,
    };
  });
  const heapEnd = await heap();
  const shown = await page.getByTestId('stream-count').textContent();
  results.load = { ...stats, heap0, heapWarm, heapEnd, samples, shown };
  await ctx.close();
} finally {
  await browser.close();
  await gw.close();
}

const b = bundleSizes();
const L = results.load;
console.log('TalkingCat UI benchmark (headless Chromium, built bundle, local stand-in gateway)');
console.log(`bundle: main chunk ${b.entry} ${kb(b.main.raw)} raw, ${kb(b.main.gzip)} gzip (aim ≤ 250 kB gzip); all assets ${kb(b.total)} raw, ${kb(b.totalGz)} gzip`);
for (const r of b.rows) console.log(`  ${r.file.padEnd(32)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)} gzip`);
console.log(`first contentful paint: ${results.fcp.toFixed(0)} ms; first meaningful paint (monitor rendered): ${results.fmp.toFixed(0)} ms (aim ≤ 1000 ms)`);
if (results.prefilled) console.log(`prefilled the list with ${results.prefilled} events before measuring`);
console.log(`load: ${RATE} events/s for ${SECONDS} s, history bound ${HISTORY} events; events received at the end: ${L.samples.at(-1)?.events} (${L.shown})`);
console.log(`frame rate: ${L.fps.toFixed(1)} fps average, ${L.minFps} fps worst second, worst frame ${L.worstFrameMs.toFixed(0)} ms (aim ≥ 50 fps)`);
console.log(`long tasks > 50 ms: ${L.longTasks}, longest ${L.longestTaskMs.toFixed(0)} ms, over 100 ms: ${L.over100} (aim 0; ${L.gcExcluded} left out: the bench's own forced GC)`);
console.log(`machine load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores (figures are noisy when the machine is shared)`);
console.log(
  `heap (after GC): ${kb(L.heap0)} before load, ${L.heapWarm ? `${kb(L.heapWarm.bytes)} at ${L.heapWarm.s} s (history full), ` : ''}${kb(L.heapEnd)} at ${SECONDS} s; growth after the history filled: ${L.heapWarm ? kb(L.heapEnd - L.heapWarm.bytes) : 'n/a'}`,
);
