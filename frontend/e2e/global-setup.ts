import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(`${url}/health`);
      const body = (await res.json()) as { status?: string };
      last = JSON.stringify(body);
      if (body.status === 'ok') return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`backend at ${url} not healthy within ${timeoutMs} ms; last answer: ${last}`);
}

/** Starts `timao up --demo` with its own home and token unless a running backend is given. */
export default async function globalSetup(): Promise<void> {
  if (process.env.TIMAO_E2E_URL && process.env.TIMAO_E2E_TOKEN) {
    await waitHealthy(process.env.TIMAO_E2E_URL, 60_000);
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'timao-e2e-'));
  const token = randomBytes(24).toString('base64url');
  const port = process.env.TIMAO_GATEWAY_PORT ?? '9019';
  const url = `http://127.0.0.1:${port}`;
  const venvTimao = join(repoRoot, '.venv', process.platform === 'win32' ? 'Scripts' : 'bin', 'timao');
  const defaultCmd = `${existsSync(venvTimao) ? venvTimao : 'timao'} up --demo`;
  const [cmd, ...args] = (process.env.TIMAO_E2E_CMD ?? defaultCmd).split(/\s+/);
  const child = spawn(cmd!, args, {
    cwd: repoRoot,
    env: { ...process.env, TIMAO_HOME: home, TIMAO_TOKEN: token, TIMAO_GATEWAY_PORT: port },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: process.platform !== 'win32',
  });
  writeFileSync(join(home, 'e2e.pid'), String(child.pid));
  process.env.TIMAO_E2E_URL = url;
  process.env.TIMAO_E2E_TOKEN = token;
  process.env.TIMAO_E2E_PID = String(child.pid);
  child.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(`timao up --demo exited with ${code}`);
  });
  await waitHealthy(url, Number(process.env.TIMAO_E2E_START_TIMEOUT_MS ?? 120_000));
}
