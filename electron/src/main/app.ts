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

/**
 * Wires the desktop app: single-instance lock, splash with start-up progress, the backend manager,
 * the main window (context isolation, sandbox, no Node, a preload that hands over gateway and token),
 * and a staged stop of the backend on quit.
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
  manager.on('state', () => mainWindow?.webContents.send(Channels.backendStatus, status()));
  manager.on('progress', (p) => {
    const u = splashUpdate(p);
    void splash?.webContents.executeJavaScript(`window.__progress && window.__progress(${JSON.stringify(u)})`).catch(() => undefined);
  });

  ipcMain.handle(Channels.getConfig, (): DesktopConfig => ({ gatewayUrl, token, version: app.getVersion() }));
  ipcMain.handle(Channels.restartBackend, async () => {
    await manager.restart();
  });
  ipcMain.handle(Channels.openPath, (_e, path: unknown) => {
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
      },
    });
    const allowed = env.ELECTRON_RENDERER_URL ?? gatewayUrl;
    mainWindow.webContents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    mainWindow.webContents.on('will-navigate', (e, url) => {
      if (!url.startsWith(allowed)) e.preventDefault();
    });
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
