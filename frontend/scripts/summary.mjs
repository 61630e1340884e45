#!/usr/bin/env node
/**
 * Runs the Node test suites (frontend and electron with Vitest, and the Playwright end-to-end run against
 * the real backend) with JSON reporters and folds their results into one closing line:
 * `N passed, N failed` (`, N skipped` when some were). Exits non-zero when a test failed or a suite could not run.
 *
 *   node frontend/scripts/summary.mjs                    # frontend and electron
 *   node frontend/scripts/summary.mjs frontend e2e       # the named suites
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const all = { frontend: join(root, 'frontend'), electron: join(root, 'electron') };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
const playwright = join(root, 'frontend', 'node_modules', '@playwright', 'test', 'cli.js');

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
const tmp = mkdtempSync(join(tmpdir(), 'timao-summary-'));

/** Playwright's JSON report → counts (expected = passed, unexpected = failed, flaky counts as failed). */
function runE2e() {
  const out = join(tmp, 'e2e.json');
  const res = spawnSync(process.execPath, [playwright, 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], {
    cwd: all.frontend,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out },
  });
  if (!existsSync(out)) {
    console.error(`e2e: no results (playwright exited with ${res.status})`);
    broken = true;
    return;
  }
  const stats = JSON.parse(readFileSync(out, 'utf8')).stats ?? {};
  const p = stats.expected ?? 0;
  const f = (stats.unexpected ?? 0) + (stats.flaky ?? 0);
  const s = stats.skipped ?? 0;
  passed += p;
  failed += f;
  skipped += s;
  console.log(`e2e: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`);
  if (res.status !== 0 && f === 0) broken = true;
}

for (const name of wanted) {
  if (name === 'e2e') {
    runE2e();
    continue;
  }
  const dir = all[name];
  if (!dir) {
    console.error(`unknown suite: ${name}`);
    broken = true;
    continue;
  }
  const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitest)) {
    console.error(`${name}: vitest is not installed (run npm ci in ${dir})`);
    broken = true;
    continue;
  }
  const out = join(tmp, `${name}.json`);
  const res = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CI: process.env.CI ?? 'true' },
  });
  if (!existsSync(out)) {
    console.error(`${name}: no results (vitest exited with ${res.status})`);
    broken = true;
    continue;
  }
  const r = JSON.parse(readFileSync(out, 'utf8'));
  const p = r.numPassedTests ?? 0;
  const f = r.numFailedTests ?? 0;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // a file that failed to load has no test results but counts as a failure
  const fileErrors = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  passed += p;
  failed += f + fileErrors;
  skipped += s;
  console.log(`${name}: ${p} passed, ${f + fileErrors} failed${s ? `, ${s} skipped` : ''}`);
  if (res.status !== 0 && f + fileErrors === 0) broken = true;
}
rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || broken ? 1 : 0);
