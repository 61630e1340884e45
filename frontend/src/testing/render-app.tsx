import { act, render } from '@testing-library/react';
import { App } from '@/app/App';
import { useAppStore } from '@/stores/app-store';
import { FakeSocket, fakeFetch, type Route } from './fake-api';
import type { LiveEvent } from '@/types/events';

export const HEALTH_OK = {
  status: 'ok',
  services: {
    gateway: { status: 'running', pid: 1, port: 9019, restarts: 0, last_heartbeat: 1 },
    douyin_fetcher: { status: 'running', pid: 2, port: null, restarts: 0, last_heartbeat: 1 },
  },
};

/** Renders the whole app at `path` against a routed fake fetch and a fake WebSocket. */
export function renderApp(path: string, route: Route, { token = 'tok' as string | null } = {}) {
  FakeSocket.instances = [];
  if (token) useAppStore.getState().login(token, true);
  const fetchImpl = fakeFetch((url, init) => {
    const answer = route(url, init);
    if (answer) return answer;
    return url.pathname === '/health' ? { body: HEALTH_OK } : undefined;
  });
  const utils = render(<App initialPath={path} fetchImpl={fetchImpl} createSocket={(url) => new FakeSocket(url)} />);
  const socket = () => FakeSocket.instances[FakeSocket.instances.length - 1];
  const push = (events: LiveEvent[]) =>
    act(() => {
      const s = socket();
      if (!s) throw new Error('no socket opened');
      for (const e of events) s.send(e);
      useAppStore.getState().flushNow();
    });
  return { ...utils, fetchImpl, socket, push };
}
