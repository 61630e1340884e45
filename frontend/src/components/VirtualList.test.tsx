import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { VirtualList } from './VirtualList';

describe('VirtualList', () => {
  it('puts only the visible rows of 100,000 in the DOM', () => {
    render(<VirtualList count={100_000} rowHeight={28} renderRow={(i) => <span>row {i}</span>} follow={false} onFollowChange={vi.fn()} label="events" />);
    const rows = screen.getAllByRole('listitem');
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByText('row 0')).toBeTruthy();
  });

  it('shows the newest rows while following', () => {
    render(<VirtualList count={100_000} rowHeight={28} renderRow={(i) => <span>row {i}</span>} follow onFollowChange={vi.fn()} label="events" />);
    expect(screen.getByText('row 99999')).toBeTruthy();
  });

  it('is keyboard reachable: focusable, and End returns to the newest row', () => {
    const onFollow = vi.fn();
    render(<VirtualList count={50} rowHeight={28} renderRow={(i) => <span>row {i}</span>} follow={false} onFollowChange={onFollow} label="事件流" />);
    const list = screen.getByRole('list', { name: '事件流' });
    expect(list.tabIndex).toBe(0);
    fireEvent.keyDown(list, { key: 'End' });
    expect(onFollow).toHaveBeenCalledWith(true);
  });
});
