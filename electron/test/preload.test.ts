import { describe, expect, it, vi } from 'vitest';
import { Channels } from '../src/shared/channels';

const exposed: Record<string, unknown> = {};
const ipc = { invoke: vi.fn(async () => 'ok'), on: vi.fn(), removeListener: vi.fn() };
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: ipc,
}));

describe('preload', () => {
  it('exposes only the small typed bridge on window.timao', async () => {
    const mod = await import('../src/preload/preload');
    expect(mod.PreloadChannels).toEqual(Channels);
    const bridge = exposed.timao as {
      getConfig(): Promise<unknown>;
      onBackendStatus(fn: (s: unknown) => void): () => void;
      restartBackend(): Promise<void>;
      openPath(p: string): Promise<string>;
    };
    expect(Object.keys(bridge).sort()).toEqual(['getConfig', 'onBackendStatus', 'openPath', 'restartBackend']);
    await bridge.getConfig();
    expect(ipc.invoke).toHaveBeenCalledWith(Channels.getConfig);
    await bridge.openPath('/rec/a.mp4');
    expect(ipc.invoke).toHaveBeenCalledWith(Channels.openPath, '/rec/a.mp4');
    const listener = vi.fn();
    const off = bridge.onBackendStatus(listener);
    const wrapped = ipc.on.mock.calls[0]![1] as (e: unknown, s: unknown) => void;
    wrapped({}, { state: 'running' });
    expect(listener).toHaveBeenCalledWith({ state: 'running' });
    off();
    expect(ipc.removeListener).toHaveBeenCalledWith(Channels.backendStatus, wrapped);
  });
});
