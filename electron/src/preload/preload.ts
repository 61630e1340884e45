import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BackendStatusPayload, DesktopConfig } from '../shared/channels';

// A sandboxed preload can require only 'electron', so the channel names are repeated here
// (test/preload.test.ts checks they match src/shared/channels.ts).
export const PreloadChannels = {
  getConfig: 'timao:get-config',
  backendStatus: 'timao:backend-status',
  restartBackend: 'timao:restart-backend',
  openPath: 'timao:open-path',
} as const;
const Channels = PreloadChannels;

/**
 * The only thing the renderer gets from the desktop shell: a small typed object on `window.timao`.
 * No Node, no raw ipcRenderer; `onBackendStatus` returns its own unsubscribe.
 */
const bridge = {
  getConfig: (): Promise<DesktopConfig> => ipcRenderer.invoke(Channels.getConfig) as Promise<DesktopConfig>,
  onBackendStatus(listener: (status: BackendStatusPayload) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, status: BackendStatusPayload) => listener(status);
    ipcRenderer.on(Channels.backendStatus, wrapped);
    return () => {
      ipcRenderer.removeListener(Channels.backendStatus, wrapped);
    };
  },
  restartBackend: (): Promise<void> => ipcRenderer.invoke(Channels.restartBackend) as Promise<void>,
  openPath: (path: string): Promise<string> => ipcRenderer.invoke(Channels.openPath, path) as Promise<string>,
};

export type TimaoBridge = typeof bridge;

contextBridge.exposeInMainWorld('timao', bridge);
