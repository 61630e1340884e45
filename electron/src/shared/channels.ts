/** IPC channel names and payloads shared by the main process and the preload (a typed allow-list). */
export const Channels = {
  getConfig: 'timao:get-config',
  backendStatus: 'timao:backend-status',
  restartBackend: 'timao:restart-backend',
  openPath: 'timao:open-path',
} as const;

export type InvokeChannel = typeof Channels.getConfig | typeof Channels.restartBackend | typeof Channels.openPath;
export type EventChannel = typeof Channels.backendStatus;

export interface DesktopConfig {
  gatewayUrl: string;
  token: string | null;
  version: string;
}

export interface BackendStatusPayload {
  state: string;
  detail: string;
  restarts: number;
}
