/**
 * What the Electron preload hands the renderer (electron/src/preload/preload.ts). In a plain
 * browser `window.timao` is undefined and the UI uses its own origin and the remembered token.
 */
export interface TimaoDesktopConfig {
  gatewayUrl: string;
  token: string | null;
  version: string;
}

export type BackendStatusChannelPayload = {
  state: string;
  detail: string;
  restarts: number;
};

export interface TimaoBridge {
  getConfig(): Promise<TimaoDesktopConfig>;
  onBackendStatus(listener: (status: BackendStatusChannelPayload) => void): () => void;
  restartBackend(): Promise<void>;
  openPath(path: string): Promise<string>;
}

declare global {
  interface Window {
    timao?: TimaoBridge;
  }
}
