import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { RecordingList } from './RecordingList';

describe('RecordingList', () => {
  it('shows totals the recorder reports and why a recording failed', () => {
    render(
      <RecordingList
        recordings={[{ recording_id: 'r1', state: 'failed', files: [], platform: 'douyin', source: 'https://live.douyin.com/1', folder: '/rec/douyin', segment_seconds: 1800, bytes: 3 * 1024 * 1024, duration: 3725, speed: 0, restarts: 0, resumed: false, reason: 'stream offline' }]}
        onStop={vi.fn()}
      />,
    );
    const item = screen.getByTestId('recording');
    expect(item.textContent).toContain('失败');
    expect(item.textContent).toContain('3.0 MB');
    expect(item.textContent).toContain('1:02:05');
    expect(screen.getByTestId('recording-reason').textContent).toBe('stream offline');
    expect(screen.queryByTestId('recording-stop')).toBeNull();
  });
});
