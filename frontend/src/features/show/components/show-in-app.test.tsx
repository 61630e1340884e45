import { describe, expect, it } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderApp } from '@/testing/render-app';
import { chat } from '@/testing/fake-api';
import { useViewerCard } from '@/stores/viewer-card';
import { useAppStore } from '@/stores/app-store';

const douyinStatus = { sessions: [{ session_id: 's1', live_id: '123', state: 'connected', title: '测试直播间', anchor: '主播A' }] };

describe('show tools in the monitor page', () => {
  it('opens the viewer card from a name in the live feed, never for a masked viewer, and offers the draw', async () => {
    const asked: string[] = [];
    const { push, socket } = renderApp('/', (url) => {
      if (url.pathname === '/api/douyin/status') return { body: douyinStatus };
      if (url.pathname === '/api/sessions/s1/draws') return { body: { draws: [] } };
      if (url.pathname.startsWith('/api/viewers/')) {
        asked.push(decodeURIComponent(url.pathname.slice('/api/viewers/'.length)));
        return {
          body: {
            user_id: 'fan-1', nickname: '铁粉', sessions: [{ session_id: 's1', title: '测试直播间', anchor_name: null, live_id: '123', first_ts: 1, last_ts: 2, comments: 1, gift_messages: 0 }],
            comments: [{ session_id: 's1', msg_id: 'm', content: '大家好', ts: 1 }], gifts: [], follows: [], diamonds: 0, first_seen: 1, last_seen: 2,
          },
        };
      }
      return undefined;
    });
    await screen.findByText('测试直播间');
    await waitFor(() => expect(socket()).toBeDefined());
    act(() => socket()!.open());
    push([
      chat('大家好', '铁粉', { user: { id: 'fan-1', nickname: '铁粉' } }),
      chat('我是谁', '神秘人', { user: { id: '', nickname: '神秘人', masked: true } }),
    ]);
    const list = screen.getByTestId('virtual-list');
    fireEvent.click(within(list).getByText('神秘人'));
    expect(screen.queryByTestId('viewer-card')).toBeNull();
    fireEvent.click(within(list).getByText('铁粉'));
    const card = await screen.findByTestId('viewer-card');
    await waitFor(() => expect(within(card).getByTestId('viewer-summary').textContent).toContain('来过 1 场'));
    expect(asked).toEqual(['fan-1']);
    act(() => useViewerCard.getState().close());
    // The room being followed is the draw's session.
    act(() => useAppStore.getState().setSession('s1', '123'));
    expect(await screen.findByTestId('lucky-draw')).toBeTruthy();
    expect(screen.getByTestId('draw-keyword')).toHaveProperty('value', '扣1');
  });
});
