import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { RecordingList } from './RecordingList';
import { BurnStatusBar } from './BurnStatusBar';
import { ApiClient } from '@/lib/api-client';
import { getSubtitle, subtitleFileName } from '../api/subtitles';
import type { Recording } from '@/types/api';

const recording: Recording = {
  recording_id: 'r1',
  state: 'done',
  platform: 'douyin',
  source: '100000000001',
  folder: '/rec',
  segment_seconds: 1800,
  duration: 96,
  bytes: 2048,
  speed: 0,
  restarts: 1,
  resumed: false,
  reason: '',
  files: [
    { path: '/rec/主播_20270115-080000_000.mp4', size: 1024, duration: 90, kind: 'mp4' },
    { path: '/rec/主播_20270115-080000_001.ts', size: 1024, duration: 6, kind: 'ts' },
  ],
};

describe('recording subtitles in the recording list', () => {
  it('offers the danmaku and speech downloads and 烧录弹幕 per MP4 file', () => {
    const onDownload = vi.fn();
    const onBurn = vi.fn();
    render(<RecordingList recordings={[recording]} onStop={vi.fn()} subtitles={{ onDownload, onBurn, burning: false }} />);
    const [mp4, ts] = screen.getAllByTestId('recording-file');
    expect(within(ts).queryByTestId('burn-start')).toBeNull(); // not finished as MP4 yet
    fireEvent.click(within(mp4).getByTestId('subtitle-danmaku-ass'));
    fireEvent.click(within(mp4).getByTestId('subtitle-speech-srt'));
    expect(onDownload.mock.calls.map((c) => c.slice(1))).toEqual([
      [0, 'danmaku', 'ass'],
      [0, 'speech', 'srt'],
    ]);
    const burn = within(mp4).getByTestId('burn-start');
    expect(burn.textContent).toBe('烧录弹幕');
    fireEvent.click(burn);
    expect(onBurn).toHaveBeenCalledWith(recording, 0);
  });

  it('allows one burn at a time', () => {
    render(<RecordingList recordings={[recording]} onStop={vi.fn()} subtitles={{ onDownload: vi.fn(), onBurn: vi.fn(), burning: true }} />);
    const burn = screen.getByTestId('burn-start') as HTMLButtonElement;
    expect(burn.disabled).toBe(true);
    expect(burn.title).toContain('正在烧录');
  });

  it('shows the burn progress with a cancel, then the copy', () => {
    const onCancel = vi.fn();
    const { rerender } = render(<BurnStatusBar status={{ state: 'running', percent: 42.5, recording_id: 'r1', file_index: 0, error: '' }} onCancel={onCancel} />);
    expect(screen.getByTestId('burn-percent').textContent).toBe('42.5%');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('43');
    fireEvent.click(screen.getByTestId('burn-cancel'));
    expect(onCancel).toHaveBeenCalled();
    rerender(<BurnStatusBar status={{ state: 'done', percent: 100, output: '/rec/x.danmaku-burned.mp4', error: '' }} onCancel={onCancel} />);
    expect(screen.getByTestId('burn-output').textContent).toContain('x.danmaku-burned.mp4');
    expect(screen.queryByTestId('burn-cancel')).toBeNull();
    rerender(<BurnStatusBar status={{ state: 'idle', percent: 0, error: '' }} onCancel={onCancel} />);
    expect(screen.queryByTestId('burn-status')).toBeNull();
  });

  it('fetches a subtitle as text with the token and names it after the file', async () => {
    const fetchImpl = vi.fn(async () => new Response('[Script Info]\n', { status: 200, headers: { 'Content-Type': 'text/x-ssa' } }));
    const api = new ApiClient({ getConfig: () => ({ baseUrl: 'http://127.0.0.1:9019', token: 'tok' }), fetchImpl });
    await expect(getSubtitle(api, 'r1', 1, 'danmaku', 'ass')).resolves.toBe('[Script Info]\n');
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:9019/api/streamcap/recordings/r1/subtitles?kind=danmaku&format=ass&file=1');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    const refused = vi.fn(async () => new Response(JSON.stringify({ detail: '语音字幕没有 ass 格式' }), { status: 422 }));
    const api2 = new ApiClient({ getConfig: () => ({ baseUrl: '', token: 'tok' }), fetchImpl: refused, retries: 0 });
    await expect(getSubtitle(api2, 'r1', 0, 'speech', 'ass')).rejects.toMatchObject({ status: 422, detail: '语音字幕没有 ass 格式' });
    expect(subtitleFileName('C:\\rec\\主播_000.mp4', 'speech', 'vtt')).toBe('主播_000.speech.vtt');
  });
});
