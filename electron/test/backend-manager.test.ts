import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendManager, BackendState, type BackendManagerOptions } from '../src/main/backend-manager';
import { STUB, alive, freePort, until } from './helpers';

const managers: BackendManager[] = [];

async function make(env: Record<string, string>, extra: Partial<BackendManagerOptions> = {}) {
  const port = await freePort();
  const info = join(mkdtempSync(join(tmpdir(), 'timao-stub-')), 'info');
  const m = new BackendManager({
    command: { command: process.execPath, args: [STUB], cwd: process.cwd() },
    env: { ...process.env, STUB_PORT: String(port), STUB_INFO: info, TIMAO_TOKEN: 'tok-123', ...env },
    gatewayUrl: `http://127.0.0.1:${port}`,
    pollIntervalMs: 50,
    graceMs: 1500,
    retryPolicy: () => 50,
    attachExisting: false,
    ...extra,
  });
  managers.push(m);
  const states: BackendState[] = [];
  m.on('state', (s) => states.push(s));
  const pids = () => readFileSync(info, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
  return { m, port, info, states, pids };
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});

describe('BackendManager with a real stub backend', () => {
  it('spawns, waits for /health with progress, and passes the token', async () => {
    const { m, info, states } = await make({ STUB_DELAY_MS: '300' });
    const progress = vi.fn();
    m.on('progress', progress);
    await m.start();
    expect(m.state).toBe(BackendState.Running);
    expect(states.slice(0, 2)).toEqual([BackendState.Starting, BackendState.Running]);
    expect(progress).toHaveBeenCalled();
    expect(progress.mock.calls.at(-1)![0].services).toEqual({ gateway: 'running' });
    expect(readFileSync(info, 'utf8')).toContain('tok-123');
  });

  it('restarts the backend when it dies', async () => {
    const { m, states, pids } = await make({ STUB_EXIT_AFTER_MS: '700' });
    await m.start();
    const first = m.pid!;
    await until(() => states.includes(BackendState.Backoff));
    await until(() => m.state === BackendState.Running && m.pid !== first);
    expect(m.restartCount).toBeGreaterThanOrEqual(1);
    expect(pids().length).toBeGreaterThanOrEqual(2);
  });

  it('gives up (FATAL) after too many quick deaths', async () => {
    const port = await freePort();
    const m = new BackendManager({
      command: { command: process.execPath, args: ['-e', 'process.exit(3)'], cwd: process.cwd() },
      env: process.env,
      gatewayUrl: `http://127.0.0.1:${port}`,
      pollIntervalMs: 50,
      retryPolicy: () => 20,
      maxRestarts: 2,
      attachExisting: false,
    });
    managers.push(m);
    await expect(m.start()).rejects.toThrow(/gave up after 2 restarts/);
    expect(m.state).toBe(BackendState.Fatal);
    expect(m.detail).toContain('code=3');
  });

  it('reports a command that cannot be spawned', async () => {
    const port = await freePort();
    const m = new BackendManager({
      command: { command: '/nonexistent/TimaoBackend', args: ['up'], cwd: process.cwd() },
      env: process.env,
      gatewayUrl: `http://127.0.0.1:${port}`,
      retryPolicy: () => 10,
      maxRestarts: 1,
      attachExisting: false,
    });
    managers.push(m);
    await expect(m.start()).rejects.toThrow(/spawn failed/);
  });

  it('counts a start that never gets healthy as a failure', async () => {
    const { m, states } = await make({ STUB_DELAY_MS: '60000' }, { startTimeoutMs: 300, maxRestarts: 1 });
    await expect(m.start()).rejects.toThrow(/no answer/);
    expect(states).toContain(BackendState.Backoff);
  });

  it('stops politely with SIGTERM', async () => {
    const { m, states } = await make({});
    await m.start();
    const pid = m.pid!;
    await m.stop();
    expect(alive(pid)).toBe(false);
    expect(m.state).toBe(BackendState.Stopped);
    expect(m.detail).toBe('stopped');
    expect(states).toContain(BackendState.Stopping);
  });

  it('kills the backend that ignores SIGTERM after the grace period', async () => {
    const { m } = await make({ STUB_IGNORE_TERM: '1' }, { graceMs: 300 });
    await m.start();
    const pid = m.pid!;
    const t0 = Date.now();
    await m.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(alive(pid)).toBe(false);
    expect(m.detail).toBe('killed');
  });

  it('attaches to a backend that already answers instead of spawning one', async () => {
    const port = await freePort();
    const existing = spawn(process.execPath, [STUB], { env: { ...process.env, STUB_PORT: String(port), TIMAO_TOKEN: 'tok-123' }, stdio: 'ignore' });
    try {
      const url = `http://127.0.0.1:${port}`;
      let up = false;
      await until(() => {
        void fetch(`${url}/health`).then((r) => (up = r.ok), () => undefined);
        return up;
      }, 8000, 100);
      const spawnImpl = vi.fn(spawn);
      const m = new BackendManager({
        command: { command: process.execPath, args: [STUB], cwd: process.cwd() },
        env: { ...process.env, TIMAO_TOKEN: 'tok-123' },
        gatewayUrl: url,
        spawnImpl: spawnImpl as unknown as typeof spawn,
        attachExisting: true,
      });
      managers.push(m);
      await m.start();
      expect(m.isAttached).toBe(true);
      expect(spawnImpl).not.toHaveBeenCalled();
      await m.stop();
      expect(alive(existing.pid!)).toBe(true);
    } finally {
      existing.kill('SIGKILL');
    }
  });

  it.each([
    ['a program that answers /health but knows no token', ''],
    ['a backend that holds another token', 'someone-elses-token'],
  ])('never attaches to %s squatting the port, and says so', async (_name, proofToken) => {
    const port = await freePort();
    const requests = join(mkdtempSync(join(tmpdir(), 'timao-squat-')), 'requests');
    const squatter = spawn(process.execPath, [STUB], {
      env: { ...process.env, STUB_PORT: String(port), STUB_PROOF_TOKEN: proofToken, STUB_REQUESTS: requests },
      stdio: 'ignore',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      let up = false;
      await until(() => {
        void fetch(`${url}/health`).then((r) => (up = r.ok), () => undefined);
        return up;
      }, 8000, 100);
      const spawnImpl = vi.fn(spawn);
      const m = new BackendManager({
        command: { command: process.execPath, args: [STUB], cwd: process.cwd() },
        env: { ...process.env, TIMAO_TOKEN: 'tok-123' },
        gatewayUrl: url,
        spawnImpl: spawnImpl as unknown as typeof spawn,
        attachExisting: true,
      });
      managers.push(m);
      await expect(m.start()).rejects.toThrow(/cannot prove it holds this app's token/);
      expect(m.state).toBe(BackendState.Fatal);
      expect(m.isAttached).toBe(false);
      expect(spawnImpl).not.toHaveBeenCalled();
      const seen = readFileSync(requests, 'utf8');
      expect(seen).toContain('GET /health?challenge=');
      expect(seen).not.toContain('tok-123');
    } finally {
      squatter.kill('SIGKILL');
    }
  });

  it('never counts a spawned backend as up while what answers cannot prove the token', async () => {
    const { m, states } = await make({ STUB_PROOF_TOKEN: 'not-the-token' }, { startTimeoutMs: 800, maxRestarts: 0 });
    const progress = vi.fn();
    m.on('progress', progress);
    await expect(m.start()).rejects.toThrow(/no answer/);
    expect(states).not.toContain(BackendState.Running);
    expect(progress.mock.calls.some(([p]) => /another program answers/.test(p.message))).toBe(true);
  });
});
