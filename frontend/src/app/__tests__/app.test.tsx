import { describe, expect, it } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderApp } from '@/testing/render-app';
import { chat, gift, roomStats, showStats } from '@/testing/fake-api';
import { useAppStore } from '@/stores/app-store';

const douyinStatus = { sessions: [{ session_id: 's1', live_id: '123', state: 'connected', title: '测试直播间', anchor: '主播A' }] };

describe('login', () => {
  it('sends a visitor without a token to /login, and a good token to the monitor', async () => {
    renderApp('/', (url) => (url.pathname === '/api/sessions' ? { body: { sessions: [] } } : url.pathname === '/api/douyin/status' ? { body: { sessions: [] } } : undefined), { token: null });
    const input = await screen.findByLabelText('本地令牌');
    fireEvent.change(input, { target: { value: 'tok' } });
    fireEvent.click(screen.getByRole('button', { name: '登录' }));
    await screen.findByText('尚未监控任何直播间');
    expect(useAppStore.getState().token).toBe('tok');
  });

  it('says so when the token is wrong', async () => {
    renderApp('/login', () => ({ status: 401, body: { detail: 'bad token' } }), { token: null });
    fireEvent.change(await screen.findByLabelText('本地令牌'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: '登录' }));
    await screen.findByText('令牌错误');
    expect(useAppStore.getState().token).toBeNull();
  });
});

describe('monitor', () => {
  const route = (url: URL) => (url.pathname === '/api/douyin/status' ? { body: douyinStatus } : undefined);

  it('streams events into the list, counts them, and draws the sparkline', async () => {
    const { push, socket } = renderApp('/', route);
    await screen.findByText('测试直播间');
    await waitFor(() => expect(socket()).toBeDefined());
    act(() => socket()!.open());
    expect(screen.getByTestId('ws-state').dataset.state).toBe('open');
    push([chat('大家好', '小明'), gift({ user: '土豪', name: '嘉年华', diamonds: 3000, repeat: 2 }), roomStats(100), roomStats(150)]);
    const list = screen.getByTestId('virtual-list');
    expect(within(list).getByText('大家好')).toBeTruthy();
    expect(within(list).getByText(/嘉年华/)).toBeTruthy();
    expect(screen.getByTestId('stat-online').textContent).toBe('150');
    expect(screen.getByTestId('stat-diamonds').textContent).toBe('3000');
    expect(screen.getByTestId('sparkline').querySelector('path')).toBeTruthy();
    expect(screen.getAllByTestId('combo')[0]!.textContent).toContain('嘉年华');
  });

  it('shows the whole show from the gateway\'s stats, never as a feed row', async () => {
    const { push, socket } = renderApp('/', route);
    await waitFor(() => expect(socket()).toBeDefined());
    act(() => socket()!.open());
    push([chat('刚进来', '小明'), showStats({ comments: 420, gifts: 12, diamonds: 5200, peak_online: null })]);
    expect(screen.getByTestId('stat-comments').textContent).toBe('420');
    expect(screen.getByTestId('stat-diamonds').textContent).toBe('5200');
    expect(within(screen.getByTestId('virtual-list')).getAllByText('刚进来')).toHaveLength(1);
    expect(screen.getByTestId('stat-events').textContent).toBe('1');
  });

  it('marks masked viewers as such, named ones not', async () => {
    const { push, socket } = renderApp('/', route);
    await waitFor(() => expect(socket()).toBeDefined());
    push([chat('我是匿名的', '用户****', { user: { id: '', nickname: '用户****', masked: true } }), chat('我有名字', '小明')]);
    const list = screen.getByTestId('virtual-list');
    const masked = within(list).getByText('用户****');
    expect(masked.dataset.masked).toBe('true');
    expect(masked.getAttribute('title')).toContain('匿名观众');
    expect(within(list).getByText('小明').dataset.masked).toBeUndefined();
  });

  it('filters by type and by search text, and pauses', async () => {
    const { push, socket } = renderApp('/', route);
    await waitFor(() => expect(socket()).toBeDefined());
    push([chat('价格多少', '甲'), chat('你好', '乙'), gift({ name: '玫瑰' })]);
    const list = () => screen.getByTestId('virtual-list');
    fireEvent.click(screen.getByTestId('filter-gift'));
    expect(within(list()).queryByText('你好')).toBeNull();
    expect(within(list()).getByText(/玫瑰/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: '全部' }));
    fireEvent.change(screen.getByTestId('event-search'), { target: { value: '价格' } });
    await waitFor(() => expect(within(list()).queryByText('你好')).toBeNull());
    expect(within(list()).getByText('价格多少')).toBeTruthy();
    fireEvent.change(screen.getByTestId('event-search'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('pause-toggle'));
    push([chat('暂停后的弹幕')]);
    expect(within(list()).queryByText('暂停后的弹幕')).toBeNull();
    expect(screen.getByTestId('paused-note').textContent).toContain('1');
    fireEvent.click(screen.getByTestId('pause-toggle'));
    expect(within(list()).getByText('暂停后的弹幕')).toBeTruthy();
  });

  it('starts a room from a URL and follows its session on the socket', async () => {
    const { fetchImpl, socket } = renderApp('/', (url, init) => {
      if (url.pathname === '/api/douyin/start' && init.method === 'POST') return { body: { success: true, session_id: 's9' } };
      return route(url);
    });
    fireEvent.change(await screen.findByTestId('room-input'), { target: { value: 'https://live.douyin.com/987654?x=1' } });
    fireEvent.click(screen.getByTestId('room-start'));
    await waitFor(() => expect(useAppStore.getState().sessionId).toBe('s9'));
    const call = fetchImpl.calls.find((c) => c.url.endsWith('/api/douyin/start'));
    expect(JSON.parse(String(call!.init.body))).toEqual({ live_id: '987654' });
    await waitFor(() => expect(socket()!.url).toContain('session_id=s9'));
  });

  it('starts a room from share text copied from the app and follows the live id the server found', async () => {
    const share = '7- 长按复制此条消息，打开抖音搜索，查看TA的更多作品。 https://v.douyin.com/iAbCdEf/ 1@2.com :9pm';
    const { fetchImpl } = renderApp('/', (url, init) => {
      if (url.pathname === '/api/douyin/start' && init.method === 'POST') return { body: { success: true, session_id: 's7', live_id: '547977714661' } };
      return route(url);
    });
    fireEvent.change(await screen.findByTestId('room-input'), { target: { value: share } });
    fireEvent.click(screen.getByTestId('room-start'));
    await waitFor(() => expect(useAppStore.getState().liveId).toBe('547977714661'));
    const call = fetchImpl.calls.find((c) => c.url.endsWith('/api/douyin/start'));
    expect(JSON.parse(String(call!.init.body))).toEqual({ live_id: share.trim() });
  });

  it('shows "service not running" when the fetcher answers 503', async () => {
    renderApp('/', (url) => (url.pathname === '/api/douyin/status' ? { status: 503, body: { detail: 'douyin_fetcher is not running' } } : undefined));
    const banner = await screen.findByTestId('service-unavailable');
    expect(banner.textContent).toContain('弹幕抓取服务未运行');
    expect(banner.textContent).toContain('douyin_fetcher is not running');
  });

  it('shows the reconnecting state with its attempt count', async () => {
    const { socket } = renderApp('/', route);
    await waitFor(() => expect(socket()).toBeDefined());
    act(() => socket()!.serverClose(1006));
    expect(screen.getByTestId('ws-state').dataset.state).toBe('reconnecting');
    expect(screen.getByTestId('ws-state').textContent).toContain('第 1 次');
  });

  it('switches the UI to English', async () => {
    renderApp('/', route);
    fireEvent.click(await screen.findByTestId('lang-toggle'));
    expect(await screen.findByText('Live monitor', { selector: 'a' })).toBeTruthy();
  });
});

describe('health strip', () => {
  it('says which service is down and why', async () => {
    const health = {
      status: 'degraded',
      services: { ast: { status: 'fatal', pid: null, port: null, restarts: 5, last_heartbeat: null, reason: 'model not found' } },
    };
    renderApp('/settings', (url) => (url.pathname === '/health' ? { body: health } : url.pathname === '/api/settings' ? { body: {} } : undefined));
    const chip = await screen.findByTestId('health-ast');
    expect(chip.dataset.state).toBe('fatal');
    expect(chip.textContent).toContain('语音转写');
    expect(chip.textContent).toContain('model not found');
    expect(screen.getByTestId('health-overall').dataset.state).toBe('degraded');
  });
});

describe('desktop shell', () => {
  it('takes gateway and token from the preload and shows the backend restarting', async () => {
    let push: ((s: { state: string; detail: string; restarts: number }) => void) | null = null;
    window.timao = {
      getConfig: async () => ({ gatewayUrl: 'http://127.0.0.1:9019', token: 'desk-token', version: '0.1.0' }),
      onBackendStatus: (fn) => {
        push = fn;
        return () => (push = null);
      },
      restartBackend: async () => undefined,
      openPath: async () => '',
    };
    renderApp('/', (url) => (url.pathname === '/api/douyin/status' ? { body: { sessions: [] } } : undefined), { token: null });
    await screen.findByText('尚未监控任何直播间');
    expect(useAppStore.getState().token).toBe('desk-token');
    expect(useAppStore.getState().gatewayUrl).toBe('http://127.0.0.1:9019');
    act(() => push?.({ state: 'backoff', detail: 'backend exited (code=1)', restarts: 1 }));
    expect(screen.getByTestId('desktop-backend').textContent).toContain('backoff');
  });
});

