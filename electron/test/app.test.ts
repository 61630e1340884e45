import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runApp, type ElectronDeps } from '../src/main/app';
import { BackendState, type BackendManager } from '../src/main/backend-manager';
import { Channels } from '../src/shared/channels';

class FakeManager extends EventEmitter {
  state = BackendState.Stopped;
  detail = '';
  restartCount = 0;
  isAttached = false;
  start = vi.fn(async () => {
    this.state = BackendState.Running;
  });
  stop = vi.fn(async () => {
    this.state = BackendState.Stopped;
  });
  restart = vi.fn(async () => undefined);
}

function fakeElectron(lock = true) {
  const appEvents = new EventEmitter();
  const handlers = new Map<string, (...a: unknown[]) => unknown>();
  class FakeWindow extends EventEmitter {
    webContents = Object.assign(new EventEmitter(), {
      send: vi.fn(),
      executeJavaScript: vi.fn(async () => undefined),
      setWindowOpenHandler: vi.fn(),
      getURL: vi.fn(() => 'http://127.0.0.1:9555/'),
    });
    loadURL = vi.fn(async (_url: string) => undefined);
    show = vi.fn();
    close = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
    isMinimized = () => false;
    constructor(public opts: Record<string, unknown>) {
      super();
      windows.push(this);
    }
  }
  const windows: FakeWindow[] = [];
  let ready!: () => void;
  const whenReady = new Promise<void>((r) => (ready = r));
  const app = {
    requestSingleInstanceLock: vi.fn(() => lock),
    quit: vi.fn(),
    exit: vi.fn(),
    on: vi.fn((ev: string, fn: (...a: unknown[]) => void) => appEvents.on(ev, fn)),
    whenReady: () => whenReady,
    isPackaged: false,
    getVersion: () => '0.1.0',
  };
  const deps = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: { handle: vi.fn((ch: string, fn: (...a: unknown[]) => unknown) => handlers.set(ch, fn)) },
    shell: { showItemInFolder: vi.fn(), openExternal: vi.fn() },
    dialog: { showErrorBox: vi.fn() },
  } as unknown as ElectronDeps;
  return { deps, app, appEvents, handlers, windows, ready };
}

const env = () => ({ TIMAO_HOME: mkdtempSync(join(tmpdir(), 'timao-app-')), TIMAO_TOKEN: 'tok-xyz', TIMAO_GATEWAY_PORT: '9555' });

/** An IPC event as Electron builds it: the calling webContents and the frame the call came from. */
function from(window: { webContents: unknown }, url: string, parent: unknown = null) {
  return { sender: window.webContents, senderFrame: { url, parent } };
}

async function started(envOverrides: Record<string, string> = {}) {
  const electron = fakeElectron();
  const manager = new FakeManager();
  runApp(electron.deps, { env: { ...env(), ...envOverrides }, createManager: () => manager as unknown as BackendManager });
  electron.ready();
  await vi.waitFor(() => expect(electron.windows).toHaveLength(2));
  return { ...electron, manager, splash: electron.windows[0]!, main: electron.windows[1]! };
}

describe('runApp', () => {
  it('quits at once when another instance holds the lock', () => {
    const { deps, app } = fakeElectron(false);
    const createManager = vi.fn();
    const res = runApp(deps, { env: env(), createManager });
    expect(app.quit).toHaveBeenCalled();
    expect(createManager).not.toHaveBeenCalled();
    expect(res.manager).toBeNull();
  });

  it('starts the backend behind a splash, then opens an isolated window on the gateway', async () => {
    const { deps, windows, ready, handlers } = fakeElectron();
    const manager = new FakeManager();
    const createManager = vi.fn((_opts: unknown) => manager as unknown as BackendManager);
    runApp(deps, { env: env(), createManager, mainDir: '/app/dist/main' });
    const passed = createManager.mock.calls[0]![0] as { env: NodeJS.ProcessEnv; gatewayUrl: string };
    expect(passed.env.TIMAO_TOKEN).toBe('tok-xyz');
    expect(passed.gatewayUrl).toBe('http://127.0.0.1:9555');
    ready();
    await vi.waitFor(() => expect(windows).toHaveLength(2));
    const [splash, main] = windows;
    expect(String(splash!.loadURL.mock.calls[0]![0])).toMatch(/^data:text\/html/);
    expect(manager.start).toHaveBeenCalled();
    expect(main!.opts.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      preload: join('/app/dist/main', '..', 'preload', 'preload.js'),
      autoplayPolicy: 'no-user-gesture-required',
    });
    expect(main!.loadURL).toHaveBeenCalledWith('http://127.0.0.1:9555/');
    const cfg = await handlers.get(Channels.getConfig)!(from(main!, 'http://127.0.0.1:9555/dashboard'));
    expect(cfg).toEqual({ gatewayUrl: 'http://127.0.0.1:9555', token: 'tok-xyz', version: '0.1.0' });
  });

  it('forwards start-up progress to the splash and state changes to the window', async () => {
    const { deps, windows, ready } = fakeElectron();
    const manager = new FakeManager();
    runApp(deps, { env: env(), createManager: () => manager as unknown as BackendManager });
    ready();
    await vi.waitFor(() => expect(windows).toHaveLength(2));
    manager.emit('progress', { attempt: 1, elapsedMs: 500, timeoutMs: 60000, services: { gateway: 'running', ast: 'starting' }, message: '' });
    const js = String((windows[0]!.webContents.executeJavaScript as ReturnType<typeof vi.fn>).mock.calls[0]![0]);
    expect(js).toContain('1/2');
    manager.state = BackendState.Backoff;
    manager.emit('state', BackendState.Backoff, 'died');
    expect(windows[1]!.webContents.send).toHaveBeenCalledWith(Channels.backendStatus, { state: 'backoff', detail: '', restarts: 0 });
  });

  it('stops the backend before quitting', async () => {
    const { deps, app, appEvents, ready, windows } = fakeElectron();
    const manager = new FakeManager();
    runApp(deps, { env: env(), createManager: () => manager as unknown as BackendManager });
    ready();
    await vi.waitFor(() => expect(windows).toHaveLength(2));
    const event = { preventDefault: vi.fn() };
    appEvents.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(manager.stop).toHaveBeenCalled();
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
  });

  it('shows an error box when the backend cannot start', async () => {
    const { deps, app, ready } = fakeElectron();
    const manager = new FakeManager();
    manager.start.mockRejectedValueOnce(new Error('gave up after 5 restarts'));
    runApp(deps, { env: env(), createManager: () => manager as unknown as BackendManager });
    ready();
    await vi.waitFor(() => expect(deps.dialog.showErrorBox).toHaveBeenCalled());
    expect(app.quit).toHaveBeenCalled();
  });

  it.each([
    ['another site', 'https://evil.example/'],
    ['a look-alike that starts with the gateway address', 'http://127.0.0.1:9555@evil.example/'],
    ['another port that starts with the same digits', 'http://127.0.0.1:95550/'],
    ['a host that starts with the same address', 'http://127.0.0.1:9555.evil.example/'],
    ['localhost instead of 127.0.0.1', 'http://localhost:9555/'],
    ['a local file', 'file:///tmp/x.html'],
    ['about:blank', 'about:blank'],
  ])('answers no IPC call from %s', async (_name, url) => {
    const { handlers, main, manager, deps } = await started();
    const event = from(main, url);
    await expect(async () => handlers.get(Channels.getConfig)!(event)).rejects.toThrow(/refused/);
    await expect(async () => handlers.get(Channels.restartBackend)!(event)).rejects.toThrow(/refused/);
    await expect(async () => handlers.get(Channels.openPath)!(event, '/etc/passwd')).rejects.toThrow(/refused/);
    expect(manager.restart).not.toHaveBeenCalled();
    expect(deps.shell.showItemInFolder).not.toHaveBeenCalled();
  });

  it('answers no IPC call from a frame inside the page, another window, or a frame that is gone', async () => {
    const { handlers, main, splash } = await started();
    const getConfig = handlers.get(Channels.getConfig)!;
    await expect(async () => getConfig(from(main, 'http://127.0.0.1:9555/', { url: 'http://127.0.0.1:9555/' }))).rejects.toThrow(/refused/);
    await expect(async () => getConfig(from(splash, 'http://127.0.0.1:9555/'))).rejects.toThrow(/refused/);
    await expect(async () => getConfig({ sender: main.webContents, senderFrame: null })).rejects.toThrow(/refused/);
    expect(await getConfig(from(main, 'http://127.0.0.1:9555/settings?x=1'))).toMatchObject({ token: 'tok-xyz' });
  });

  it('trusts the dev server origin instead of the gateway when ELECTRON_RENDERER_URL is set', async () => {
    const { handlers, main } = await started({ ELECTRON_RENDERER_URL: 'http://127.0.0.1:10030' });
    expect(main.loadURL).toHaveBeenCalledWith('http://127.0.0.1:10030/');
    const getConfig = handlers.get(Channels.getConfig)!;
    expect(await getConfig(from(main, 'http://127.0.0.1:10030/'))).toMatchObject({ token: 'tok-xyz' });
    await expect(async () => getConfig(from(main, 'http://127.0.0.1:9555/'))).rejects.toThrow(/refused/);
  });

  it.each(['will-navigate', 'will-redirect'])('keeps the window on the UI origin exactly (%s)', async (eventName) => {
    const { main } = await started();
    const attempt = (url: string) => {
      const event = { preventDefault: vi.fn() };
      main.webContents.emit(eventName, event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(attempt('http://127.0.0.1:9555/dashboard')).toBe(false);
    expect(attempt('http://127.0.0.1:9555/')).toBe(false);
    for (const url of [
      'http://127.0.0.1:9555@evil.example/',
      'http://127.0.0.1:95550/',
      'http://127.0.0.1:9555.evil.example/',
      'https://127.0.0.1:9555/',
      'https://evil.example/',
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(attempt(url), url).toBe(true);
    }
  });

  it('sends backend states only to the UI origin', async () => {
    const { main, manager } = await started();
    main.webContents.getURL.mockReturnValue('https://evil.example/');
    manager.emit('state', BackendState.Backoff, 'died');
    expect(main.webContents.send).not.toHaveBeenCalled();
  });
});
