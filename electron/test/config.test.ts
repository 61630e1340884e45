import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayUrl, timaoHome } from '../src/main/paths';
import { resolveToken } from '../src/main/token';
import { resolveBackendCommand } from '../src/main/backend-command';
import { makeKillTree } from '../src/main/process-tree';
import type { spawn } from 'node:child_process';

describe('timaoHome', () => {
  it.each([
    [{ TIMAO_HOME: '/x' }, 'linux', '/x'],
    [{}, 'linux', '/home/u/.local/share/talkingcat'],
    [{ XDG_DATA_HOME: '/xdg' }, 'linux', '/xdg/talkingcat'],
    [{ APPDATA: 'C:/AppData' }, 'win32', join('C:/AppData', 'TalkingCat')],
    [{}, 'darwin', '/home/u/Library/Application Support/TalkingCat'],
  ] as const)('%j on %s → %s', (env, platform, expected) => {
    expect(timaoHome(env as NodeJS.ProcessEnv, platform, '/home/u')).toBe(expected);
  });

  it('builds the gateway address from TIMAO_GATEWAY_PORT', () => {
    expect(gatewayUrl({})).toBe('http://127.0.0.1:9019');
    expect(gatewayUrl({ TIMAO_GATEWAY_PORT: '9100' })).toBe('http://127.0.0.1:9100');
    expect(gatewayUrl({ TIMAO_GATEWAY_PORT: 'nope' })).toBe('http://127.0.0.1:9019');
  });
});

describe('resolveToken', () => {
  const home = () => mkdtempSync(join(tmpdir(), 'timao-home-'));

  it('prefers TIMAO_TOKEN', () => {
    expect(resolveToken({ TIMAO_TOKEN: ' abc ' }, home())).toEqual({ token: 'abc', source: 'env' });
  });

  it('reads $TIMAO_HOME/token', () => {
    const h = home();
    writeFileSync(join(h, 'token'), 'from-file\n');
    expect(resolveToken({}, h)).toEqual({ token: 'from-file', source: 'file' });
  });

  it('generates one into $TIMAO_HOME/token, owner-only, and reuses it', () => {
    const h = join(home(), 'nested');
    const first = resolveToken({}, h);
    expect(first.source).toBe('generated');
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(h, 'token'), 'utf8')).toBe(first.token);
    if (process.platform !== 'win32') expect(statSync(join(h, 'token')).mode & 0o777).toBe(0o600);
    expect(resolveToken({}, h)).toEqual({ token: first.token, source: 'file' });
  });
});

describe('resolveBackendCommand', () => {
  const base = { resourcesPath: '/opt/app/resources', repoRoot: '/repo', env: {} };

  it('runs the packaged executable on Linux and Windows', () => {
    expect(resolveBackendCommand({ ...base, isPackaged: true, platform: 'linux' })).toEqual({
      command: '/opt/app/resources/backend/TimaoBackend',
      args: ['up'],
      cwd: '/opt/app/resources/backend',
    });
    expect(resolveBackendCommand({ ...base, isPackaged: true, platform: 'win32' }).command).toMatch(/TimaoBackend\.exe$/);
  });

  it('runs python service_launcher.py in development, preferring the venv', () => {
    const dev = resolveBackendCommand({ ...base, isPackaged: false, platform: 'linux', exists: (p) => p === '/repo/.venv/bin/python' });
    expect(dev).toEqual({ command: '/repo/.venv/bin/python', args: ['/repo/service_launcher.py'], cwd: '/repo' });
    const noVenv = resolveBackendCommand({ ...base, isPackaged: false, platform: 'linux', exists: () => false });
    expect(noVenv.command).toBe('python3');
    const custom = resolveBackendCommand({ ...base, env: { TIMAO_PYTHON: '/usr/bin/python3.12' }, isPackaged: false, platform: 'linux' });
    expect(custom.command).toBe('/usr/bin/python3.12');
  });

  it('honours TIMAO_BACKEND_CMD', () => {
    expect(resolveBackendCommand({ ...base, env: { TIMAO_BACKEND_CMD: '/bin/timao' }, isPackaged: true, platform: 'linux' }).command).toBe('/bin/timao');
  });
});

describe('makeKillTree', () => {
  it('uses taskkill /T on Windows, with /F when forced', () => {
    const calls: string[][] = [];
    const fakeSpawn = vi.fn((_cmd: string, args: string[]) => {
      calls.push(args);
      return { on: () => undefined };
    }) as unknown as typeof spawn;
    const kill = makeKillTree('win32', fakeSpawn);
    kill(42, false);
    kill(42, true);
    expect(fakeSpawn).toHaveBeenCalledWith('taskkill', expect.anything(), expect.anything());
    expect(calls).toEqual([
      ['/PID', '42', '/T'],
      ['/PID', '42', '/T', '/F'],
    ]);
  });

  it('signals the process group on POSIX', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    makeKillTree('linux')(4242, false);
    makeKillTree('linux')(4242, true);
    expect(kill).toHaveBeenNthCalledWith(1, -4242, 'SIGTERM');
    expect(kill).toHaveBeenNthCalledWith(2, -4242, 'SIGKILL');
  });
});
