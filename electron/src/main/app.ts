import { join, resolve } from 'node:path';
import type * as Electron from 'electron';
import { BackendManager, BackendState } from './backend-manager';
import { resolveBackendCommand } from './backend-command';
import { gatewayUrl as gatewayUrlOf, timaoHome } from './paths';
import { splashUpdate, splashUrl } from './splash';
import { resolveToken } from './token';
import { Channels, type BackendStatusPayload, type DesktopConfig } from '../shared/channels';

export interface ElectronDeps {
  app: Pick<Electron.App, 'requestSingleInstanceLock' | 'quit' | 'exit' | 'on' | 'whenReady' | 'isPackaged' | 'getVersion'>;
  BrowserWindow: typeof Electron.BrowserWindow;
  ipcMain: Pick<Electron.IpcMain, 'handle'>;
  shell: Pick<Electron.Shell, 'showItemInFolder' | 'openExternal'>;
  dialog: Pick<Electron.Dialog, 'showErrorBox'>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  resourcesPath?: string;
  /** where the compiled main lives (dist/main); the repo root is three levels up in development */
  mainDir?: string;
  createManager?: (m: ConstructorParameters<typeof BackendManager>[0]) => BackendManager;
}

/** The origin of `url` (`scheme://host:port`), or null when it is not a URL with one. */
export function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** The IPC event's sender, as far as the trust check needs it. */
export interface IpcSender {
  sender?: unknown;
  senderFrame?: { url: string; parent: unknown } | null;
}

/**
 * Wires the desktop app: single-instance lock, splash with start-up progress, the backend manager,
 * the main window (context isolation, sandbox, no Node, a preload that hands over gateway and token),
 * and a staged stop of the backend on quit.
 *
 * The token goes only to the UI's own origin (the gateway, or ELECTRON_RENDERER_URL in development), compared
 * exactly (`originOf`), never by prefix: `http://127.0.0.1:9019@evil.example/` starts with the gateway's address
 * and is evil.example. Every IPC handler checks that the call comes from the main window's top frame on that origin,
 * and the window never navigates or is redirected off it.
 */
export function runApp(deps: ElectronDeps, opts: RunOptions = {}): { manager: BackendManager | null } {
  const { app, BrowserWindow, ipcMain, shell, dialog } = deps;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { manager: null };
  }
  const env = { ...(opts.env ?? process.env) };
  const home = timaoHome(env);
  const gatewayUrl = gatewayUrlOf(env);
  const { token } = resolveToken(env, home);
  const mainDir = opts.mainDir ?? __dirname;
  const command = resolveBackendCommand({
    isPackaged: app.isPackaged,
    resourcesPath: opts.resourcesPath ?? process.resourcesPath ?? '',
    platform: process.platform,
    repoRoot: resolve(mainDir, '..', '..', '..'),
    env,
  });
  // The backend runs detached (its own process group); TIMAO_DIE_WITH_PARENT makes the built executable stop with us
  // even when this app crashes instead of quitting.
  const managerOptions = {
    command,
    env: { ...env, TIMAO_HOME: home, TIMAO_TOKEN: token, TIMAO_DIE_WITH_PARENT: '1' },
    gatewayUrl,
  };
  const manager = opts.createManager ? opts.createManager(managerOptions) : new BackendManager(managerOptions);

  let mainWindow: Electron.BrowserWindow | null = null;
  let splash: Electron.BrowserWindow | null = null;
  let quitting = false;

  const status = (): BackendStatusPayload => ({ state: manager.state, detail: manager.detail, restarts: manager.restartCount });
  manager.on('state', () => {
    // only to the UI's own page (the window cannot leave it, but a status is no business of another page's)
    if (mainWindow && originOf(mainWindow.webContents.getURL()) === uiOrigin) mainWindow.webContents.send(Channels.backendStatus, status());
  });
  manager.on('progress', (p) => {
    const u = splashUpdate(p);
    void splash?.webContents.executeJavaScript(`window.__progress && window.__progress(${JSON.stringify(u)})`).catch(() => undefined);
  });

  const uiOrigin = originOf(env.ELECTRON_RENDERER_URL ?? gatewayUrl);
  /** The call comes from the main window's top frame, showing the UI's own origin: nothing else gets an answer. */
  const trusted = (event: IpcSender): boolean => {
    const frame = event.senderFrame;
    return (
      mainWindow !== null &&
      event.sender === mainWindow.webContents &&
      !!frame &&
      frame.parent === null &&
      uiOrigin !== null &&
      originOf(frame.url) === uiOrigin
    );
  };
  const refuse = (channel: string, event: IpcSender): never => {
    throw new Error(`${channel}: refused for ${event.senderFrame?.url ?? 'an unknown frame'} (not the UI's own page)`);
  };

  ipcMain.handle(Channels.getConfig, (event): DesktopConfig => {
    if (!trusted(event)) refuse(Channels.getConfig, event);
    return { gatewayUrl, token, version: app.getVersion() };
  });
  ipcMain.handle(Channels.restartBackend, async (event) => {
    if (!trusted(event)) refuse(Channels.restartBackend, event);
    await manager.restart();
  });
  ipcMain.handle(Channels.openPath, (event, path: unknown) => {
    if (!trusted(event)) refuse(Channels.openPath, event);
    if (typeof path !== 'string' || !path) return 'bad path';
    shell.showItemInFolder(path);
    return '';
  });

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  const createMain = () => {
    mainWindow = new BrowserWindow({
      width: 1440,
      height: 900,
      minWidth: 1024,
      minHeight: 640,
      show: false,
      title: '提猫直播助手',
      webPreferences: {
        preload: join(mainDir, '..', 'preload', 'preload.js'),
        contextIsolation: true,
        nodeIntegration: false,
        sandbox: true,
        webSecurity: true,
        // 语音播报 and the alert beep left on from an earlier run must sound after a restart without a click
        // first (Chromium refuses speechSynthesis.speak and AudioContext before a user gesture otherwise).
        autoplayPolicy: 'no-user-gesture-required',
      },
    });
    const allowed = env.ELECTRON_RENDERER_URL ?? gatewayUrl;
    mainWindow.webContents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    // Exact origins, for navigations and for the redirects that end them (any frame: the UI has no foreign frames).
    const stayHome = (e: { preventDefault: () => void }, url: string) => {
      if (uiOrigin === null || originOf(url) !== uiOrigin) e.preventDefault();
    };
    mainWindow.webContents.on('will-navigate', stayHome);
    mainWindow.webContents.on('will-redirect', stayHome);
    mainWindow.once('ready-to-show', () => {
      mainWindow?.show();
      splash?.close();
      splash = null;
    });
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
    void mainWindow.loadURL(`${allowed.replace(/\/+$/, '')}/`);
  };

  void app.whenReady().then(async () => {
    splash = new BrowserWindow({ width: 480, height: 280, frame: false, resizable: false, show: true, webPreferences: { sandbox: true, contextIsolation: true } });
    void splash.loadURL(splashUrl());
    try {
      await manager.start();
      createMain();
    } catch (e) {
      if (quitting) return;
      dialog.showErrorBox('提猫直播助手：后端无法启动', `${(e as Error).message}\n\n${manager.detail}`);
      app.quit();
    }
  });

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    if (manager.isAttached || manager.state === BackendState.Stopped) return;
    // keep the app alive until the backend and its children are gone
    event.preventDefault();
    void manager.stop().finally(() => app.exit(0));
  });

  return { manager };
}
