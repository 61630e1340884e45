import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { gift } from '@/testing/fake-api';
import { resetAppStore, useAppStore } from '@/stores/app-store';
import { ThanksPanel } from './ThanksPanel';

function feed(...events: Parameters<ReturnType<typeof useAppStore.getState>['ingest']>[0]) {
  act(() => {
    useAppStore.getState().ingest(events);
    useAppStore.getState().flushNow();
  });
}

describe('ThanksPanel', () => {
  beforeEach(() => {
    resetAppStore();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => vi.useRealTimers());

  it('thanks a gift once its combo ended, merging one viewer’s gifts, and a lost closing message by idleness', () => {
    render(<ThanksPanel />);
    expect(screen.getByText('礼物连击结束后，这里会出现感谢语。')).toBeTruthy();
    feed(gift({ user: '小明', name: '小心心', delta: 10, group: 'a' }), gift({ user: '小明', name: '小心心', delta: 56, group: 'a' }));
    expect(screen.queryAllByTestId('thank')).toHaveLength(0); // the combo is still running
    expect(screen.getByText('1 个连击进行中')).toBeTruthy();
    feed(gift({ user: '小明', name: '小心心', delta: 0, end: true, group: 'a' }));
    expect(screen.getAllByTestId('thank').map((li) => li.textContent)).toEqual([expect.stringContaining('感谢 小明 送出 小心心 ×66')]);
    feed(gift({ user: '小明', name: '玫瑰', delta: 3, end: true, group: 'b' }));
    expect(screen.getAllByTestId('thank')[0]?.textContent).toContain('小心心 ×66、玫瑰 ×3');
    // Another viewer whose closing message never comes: thanked once the combo has been idle.
    feed(gift({ user: '小红', name: '棒棒糖', delta: 2, group: 'c' }));
    expect(screen.getAllByTestId('thank')).toHaveLength(1);
    act(() => vi.advanceTimersByTime(3500));
    const rows = screen.getAllByTestId('thank').map((li) => li.textContent);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('感谢 小红 送出 棒棒糖 ×2'); // newest first
  });
});
