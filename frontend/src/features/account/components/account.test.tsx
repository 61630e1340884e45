import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderApp } from '@/testing/render-app';
import type { DouyinAccountView } from '@/types/api';
import { useAccountStore } from '../store';

const GUEST: DouyinAccountView = {
  logged_in: false,
  nickname: null,
  source: null,
  user_id: null,
  saved_at_ms: null,
  login_pending: false,
  login_error: null,
};

/** A stateful stand-in for /api/douyin/account: a good cookie logs in, a guest cookie is refused, a login window
 * finishes after a few polls (as the fetcher's does after the scan). */
function accountSite(opts: { loginResult?: Partial<DouyinAccountView>; pollsUntilDone?: number } = {}) {
  let account: DouyinAccountView = { ...GUEST };
  let polls = 0;
  const route = (url: URL, init: RequestInit) => {
    if (url.pathname === '/api/douyin/account/login' && init.method === 'POST') {
      account = { ...account, login_pending: true, login_error: null };
      polls = 0;
      return { body: account };
    }
    if (url.pathname !== '/api/douyin/account') return undefined;
    if (init.method === 'PUT') {
      const { cookie } = JSON.parse(String(init.body)) as { cookie: string };
      if (!cookie.includes('sessionid=good')) return { status: 422, body: { detail: 'Cookie 中没有 sessionid：这是未登录（游客）的 Cookie' } };
      account = { ...GUEST, logged_in: true, nickname: '导入的主播', source: 'cookie' };
      return { body: account };
    }
    if (init.method === 'DELETE') {
      account = { ...GUEST };
      return { body: account };
    }
    if (account.login_pending && ++polls >= (opts.pollsUntilDone ?? 2)) {
      account = { ...account, login_pending: false, ...(opts.loginResult ?? { logged_in: true, nickname: '扫码的主播', source: 'browser' }) };
    }
    return { body: account };
  };
  return { route, current: () => account };
}

beforeEach(() => useAccountStore.setState({ account: null, error: null }));

describe('Douyin account in settings and the header', () => {
  it('refuses a guest cookie with the reason, imports a logged-in one, then logs out', async () => {
    const site = accountSite();
    const { fetchImpl } = renderApp('/settings', site.route);
    expect((await screen.findByTestId('account-badge')).textContent).toBe('抖音：未登录');
    expect(screen.getByTestId('douyin-account-state').textContent).toContain('礼物与观众昵称不可见');

    const box = screen.getByTestId('douyin-cookie') as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'ttwid=1%7Cguest' } });
    fireEvent.click(screen.getByTestId('douyin-cookie-import'));
    // the settings page holds other cards with alerts of their own: find the refusal by its text, then its role
    const refusal = await screen.findByText(/这是未登录（游客）的 Cookie/);
    expect(refusal.getAttribute('role')).toBe('alert');
    expect(box.value).toBe('ttwid=1%7Cguest'); // a refused paste is not lost

    fireEvent.change(box, { target: { value: 'sessionid=good; ttwid=t' } });
    fireEvent.click(screen.getByTestId('douyin-cookie-import'));
    await waitFor(() => expect(screen.getByTestId('douyin-account-state').dataset.loggedIn).toBe('true'));
    expect(screen.getByTestId('douyin-account-state').textContent).toContain('已登录：导入的主播 · 导入的 Cookie');
    expect(screen.getByTestId('account-badge').textContent).toBe('抖音：导入的主播');
    expect(box.value).toBe('');
    const put = fetchImpl.calls.filter((c) => c.init.method === 'PUT').at(-1)!;
    expect(JSON.parse(String(put.init.body))).toEqual({ cookie: 'sessionid=good; ttwid=t' });

    fireEvent.click(screen.getByTestId('douyin-logout'));
    await waitFor(() => expect(screen.getByTestId('account-badge').textContent).toBe('抖音：未登录'));
    expect(screen.queryByTestId('douyin-logout')).toBeNull();
  });

  it('opens a login window, says it waits for the scan, and shows the account once logged in', async () => {
    const site = accountSite({ pollsUntilDone: 4 });
    renderApp('/settings', site.route);
    fireEvent.click(await screen.findByTestId('douyin-login-button'));
    expect((await screen.findByTestId('douyin-login-pending')).textContent).toContain('扫码登录');
    expect((screen.getByTestId('douyin-login-button') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('account-badge').textContent).toBe('抖音：登录中…');
    await waitFor(() => expect(screen.getByTestId('account-badge').textContent).toBe('抖音：扫码的主播'), { timeout: 5000 });
    expect(screen.queryByTestId('douyin-login-pending')).toBeNull();
    expect(screen.getByTestId('douyin-account-state').textContent).toContain('浏览器登录');
  });

  it('says why a login window failed', async () => {
    const site = accountSite({ pollsUntilDone: 1, loginResult: { login_error: '等待登录超时（300 秒），请重试' } });
    renderApp('/settings', site.route);
    fireEvent.click(await screen.findByTestId('douyin-login-button'));
    const alert = await screen.findByText(/登录失败：等待登录超时/, {}, { timeout: 5000 });
    expect(alert).toBeTruthy();
    expect(screen.getByTestId('account-badge').dataset.loggedIn).toBe('false');
  });

  it('says the fetcher is not running when the login cannot start', async () => {
    renderApp('/settings', (url, init) => {
      if (url.pathname === '/api/douyin/account/login') return { status: 503, body: { detail: 'douyin_fetcher: 服务未运行 (service not running)' } };
      if (url.pathname === '/api/douyin/account' && (init.method ?? 'GET') === 'GET') return { body: GUEST };
      return undefined;
    });
    fireEvent.click(await screen.findByTestId('douyin-login-button'));
    expect((await screen.findByText(/登录失败：douyin_fetcher: 服务未运行/)).textContent).toBeTruthy();
  });
});

describe('Douyin account on the monitor', () => {
  const sessions = {
    sessions: [
      { session_id: 's1', live_id: '123', state: 'connected', title: '游客直播间', logged_in: false, reason: '未登录：礼物与昵称不可见' },
      { session_id: 's2', live_id: '456', state: 'connected', title: '登录直播间', logged_in: true, reason: null },
    ],
  };

  it('offers the login in the room bar to a guest and says why a room runs as a guest', async () => {
    const site = accountSite();
    renderApp('/', (url, init) => (url.pathname === '/api/douyin/status' ? { body: sessions } : site.route(url, init)));
    expect((await screen.findByTestId('douyin-login-button')).textContent).toBe('登录抖音账号');
    const rows = await screen.findAllByTestId('douyin-session');
    expect(rows[0]!.querySelector('[data-testid="guest-reason"]')!.textContent).toBe('未登录：礼物与昵称不可见');
    expect(rows[1]!.querySelector('[data-testid="guest-reason"]')).toBeNull();
  });

  it('hides the room bar login once logged in', async () => {
    renderApp('/', (url) =>
      url.pathname === '/api/douyin/account'
        ? { body: { ...GUEST, logged_in: true, nickname: '主播', source: 'browser' } }
        : url.pathname === '/api/douyin/status'
          ? { body: { sessions: [] } }
          : undefined,
    );
    await waitFor(() => expect(screen.getByTestId('account-badge').textContent).toBe('抖音：主播'));
    expect(screen.queryByTestId('douyin-login-button')).toBeNull();
  });
});
