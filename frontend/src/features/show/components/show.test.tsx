import { afterEach, describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ApiClient } from '@/lib/api-client';
import { ApiProvider } from '@/lib/api-context';
import { fakeFetch, type Route } from '@/testing/fake-api';
import { LuckyDraw } from './LuckyDraw';
import { ViewerCard } from './ViewerCard';
import { ViewerName } from '@/components/ViewerName';
import { useViewerCard } from '@/stores/viewer-card';
import type { DrawRequest, DrawResult, ViewerHistory } from '../api/show';

function withApi(route: Route, ui: React.ReactNode) {
  const fetchImpl = fakeFetch(route);
  const api = new ApiClient({ getConfig: () => ({ baseUrl: 'http://gateway.test', token: 'tok' }), fetchImpl, retries: 0 });
  render(<ApiProvider client={api}>{ui}</ApiProvider>);
  return fetchImpl;
}

/** A stand-in for the draw routes that keeps what was drawn, as the gateway stores it. */
function drawSite() {
  const draws: DrawResult[] = [];
  const requests: DrawRequest[] = [];
  const route: Route = (url, init) => {
    if (url.pathname !== '/api/sessions/s1/draws') return undefined;
    if (init.method === 'POST') {
      const body = JSON.parse(String(init.body)) as DrawRequest;
      requests.push(body);
      const d: DrawResult = {
        draw_id: `d${draws.length + 1}`, session_id: 's1', keyword: body.keyword, since_ms: body.since_ms, until_ms: body.until_ms,
        winners_wanted: body.winners, entrants: 12, winners: [{ user_id: '1001', nickname: '幸运观众' }], seed: 4242, created_ms: body.until_ms,
      };
      draws.push(d);
      return { body: d };
    }
    return { body: { draws } };
  };
  return { route, draws, requests };
}

afterEach(() => act(() => useViewerCard.getState().close()));

describe('LuckyDraw', () => {
  it('counts down, then draws over the window it ran and shows the winners and the seed', async () => {
    const site = drawSite();
    withApi(site.route, <LuckyDraw sessionId="s1" />);
    fireEvent.change(screen.getByTestId('draw-keyword'), { target: { value: '扣2' } });
    fireEvent.change(screen.getByTestId('draw-winners'), { target: { value: '3' } });
    fireEvent.change(screen.getByTestId('draw-seconds'), { target: { value: '1' } });
    fireEvent.click(screen.getByTestId('draw-start'));
    expect(screen.getByTestId('draw-countdown').textContent).toContain('评论「扣2」参与抽奖 · 还剩 1 秒');
    expect(screen.getByTestId('draw-keyword')).toHaveProperty('disabled', true);
    const result = await screen.findByTestId('draw-result', {}, { timeout: 4000 });
    expect(site.requests).toHaveLength(1);
    const req = site.requests[0];
    expect(req.keyword).toBe('扣2');
    expect(req.winners).toBe(3);
    expect(req.seed).toBeUndefined();
    expect(req.until_ms - req.since_ms).toBeGreaterThanOrEqual(1000);
    expect(result.textContent).toContain('12 人参与');
    expect(within(result).getByTestId('draw-winner-list').textContent).toContain('幸运观众');
    expect(screen.getByTestId('draw-seed').textContent).toContain('随机种子 4242');
    await waitFor(() => expect(screen.getByTestId('draw-history').textContent).toContain('幸运观众'));
    expect(screen.queryByTestId('draw-countdown')).toBeNull();
  });

  it('draws at once with 立即开奖 and refuses a blank keyword', async () => {
    const site = drawSite();
    withApi(site.route, <LuckyDraw sessionId="s1" />);
    fireEvent.change(screen.getByTestId('draw-keyword'), { target: { value: '  ' } });
    fireEvent.click(screen.getByTestId('draw-start'));
    expect(screen.getByRole('alert').textContent).toBe('请填写参与关键词');
    fireEvent.change(screen.getByTestId('draw-keyword'), { target: { value: '扣1' } });
    fireEvent.click(screen.getByTestId('draw-start'));
    fireEvent.click(screen.getByTestId('draw-now'));
    await screen.findByTestId('draw-result');
    expect(site.requests).toHaveLength(1);
  });

  it('asks for a room when no session is followed', () => {
    withApi(() => undefined, <LuckyDraw sessionId={null} />);
    expect(screen.getByText('先开始监控一个直播间，再抽奖')).toBeTruthy();
  });
});

const HISTORY: ViewerHistory = {
  user_id: '1001',
  nickname: '老观众',
  sessions: [
    { session_id: 's1', title: '周一专场', anchor_name: null, live_id: '1', first_ts: 1_700_000_000_000, last_ts: 1_700_000_100_000, comments: 2, gift_messages: 1 },
    { session_id: 's2', title: '周二专场', anchor_name: null, live_id: '1', first_ts: 1_700_086_400_000, last_ts: 1_700_086_500_000, comments: 1, gift_messages: 0 },
  ],
  comments: [{ session_id: 's2', msg_id: 'c3', content: '又来了', ts: 1_700_086_400_000 }],
  gifts: [{ session_id: 's1', msg_id: 'g1', ts: 1_700_000_050_000, gift_name: '小心心', count: 66, diamonds: 66 }],
  follows: [{ session_id: 's1', ts: 1_700_000_060_000 }],
  diamonds: 66,
  first_seen: 1_700_000_000_000,
  last_seen: 1_700_086_500_000,
};

describe('ViewerCard', () => {
  it('opens from a name and shows the viewer across sessions; a masked name opens nothing', async () => {
    const fetchImpl = withApi(
      (url) => (url.pathname === '/api/viewers/1001' ? { body: HISTORY } : undefined),
      <>
        <ViewerName user={{ id: '1001', nickname: '老观众' }} />
        <ViewerName user={{ id: '', nickname: '神秘人', masked: true }} />
        <ViewerCard />
      </>,
    );
    expect(screen.getAllByTestId('viewer-name')).toHaveLength(1);
    fireEvent.click(screen.getByText('神秘人'));
    expect(screen.queryByTestId('viewer-card')).toBeNull();
    fireEvent.click(screen.getByTestId('viewer-name'));
    const card = await screen.findByTestId('viewer-card');
    await waitFor(() => expect(within(card).getByTestId('viewer-summary').textContent).toContain('来过 2 场 · 评论 3 条 · 送出 66 钻 · 关注 1 次'));
    expect(within(card).getByTestId('viewer-sessions').textContent).toContain('周一专场');
    expect(within(card).getByTestId('viewer-sessions').textContent).toContain('周二专场');
    expect(within(card).getByTestId('viewer-gifts').textContent).toContain('小心心 ×66');
    expect(within(card).getByTestId('viewer-comments').textContent).toContain('又来了');
    expect(fetchImpl.calls.map((c) => new URL(c.url).pathname)).toEqual(['/api/viewers/1001']);
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('viewer-card')).toBeNull();
  });

  it('says when nothing is stored for a viewer', async () => {
    withApi(() => ({ status: 404, body: { detail: '没有这位观众的记录' } }), <ViewerCard />);
    act(() => useViewerCard.getState().open('42', '路人'));
    expect((await screen.findByTestId('viewer-error')).textContent).toContain('没有这位观众的记录');
  });
});
