import { describe, expect, it } from 'vitest';
import { useAppStore } from './app-store';
import { chat } from '@/testing/fake-api';

describe('app store', () => {
  it('batches ingested events into one version bump per flush', () => {
    const s = useAppStore.getState();
    const v0 = s.liveVersion;
    s.ingest([chat('a')]);
    s.ingest([chat('b'), chat('c')]);
    expect(useAppStore.getState().liveVersion).toBe(v0);
    useAppStore.getState().flushNow();
    expect(useAppStore.getState().liveVersion).toBe(v0 + 1);
    expect(useAppStore.getState().log.size).toBe(3);
  });

  it('flushes by itself on the next frame or timeout', async () => {
    useAppStore.getState().ingest([chat('x')]);
    await new Promise((r) => setTimeout(r, 150));
    expect(useAppStore.getState().log.size).toBe(1);
  });

  it('remembers the token only when asked', () => {
    useAppStore.getState().login('secret', true);
    expect(JSON.parse(localStorage.getItem('timao.prefs') ?? '{}').state.token).toBe('secret');
    useAppStore.getState().login('secret2', false);
    expect(JSON.parse(localStorage.getItem('timao.prefs') ?? '{}').state.token).toBeNull();
    expect(useAppStore.getState().token).toBe('secret2');
  });

  it('clearLive starts a fresh bounded log; history size is clamped', () => {
    const s = useAppStore.getState();
    s.ingest([chat('a')]);
    s.flushNow();
    s.clearLive();
    expect(useAppStore.getState().log.size).toBe(0);
    useAppStore.getState().setHistorySize(10);
    expect(useAppStore.getState().log.capacity).toBe(1000);
  });

  it('normalises the gateway address', () => {
    useAppStore.getState().setGatewayUrl(' http://127.0.0.1:9019/ ');
    expect(useAppStore.getState().gatewayUrl).toBe('http://127.0.0.1:9019');
  });
});
