import { describe, expect, it } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderApp } from '@/testing/render-app';
import type { LiveEvent } from '@/types/events';

const sessions = { sessions: [{ id: 's1', platform: 'douyin', live_id: '123', title: '测试直播间', status: 'live', started_at: 1_790_000_000_000, ended_at: null }] };

describe('dashboard', () => {
  it('draws the charts and lists the rankings for the live session', async () => {
    const { fetchImpl } = renderApp('/dashboard', (url) => {
      switch (url.pathname) {
        case '/api/sessions':
          return { body: sessions };
        case '/api/sessions/s1/stats':
          return { body: { series: [0, 1, 2].map((i) => ({ t: 1_790_000_000_000 + i * 60000, online: 100 + i, comments: i * 3, likes: 0, gifts: 0, diamonds: 0, follows: 0 })) } };
        case '/api/sessions/s1/gifts/ranking':
          return { body: { ranking: [{ user_id: 'u1', nickname: '大哥', diamonds: 9000, gifts: 3 }] } };
        case '/api/sessions/s1/chatters/top':
          return { body: { chatters: [{ user_id: 'u2', nickname: '话痨', count: 42 }] } };
        case '/api/sessions/s1/hotwords':
          return { body: { words: [{ word: '上链接', count: 9 }] } };
        case '/api/sessions/s1/questions':
          return { body: { questions: [] } };
        default:
          return undefined;
      }
    });
    const chart = await screen.findByTestId('viewer-chart', {}, { timeout: 3000 });
    await waitFor(() => expect(chart.querySelector('canvas')).toBeTruthy());
    expect(await screen.findByText('大哥')).toBeTruthy();
    expect(screen.getByText('9000')).toBeTruthy();
    expect(screen.getByText('话痨')).toBeTruthy();
    expect(within(screen.getByTestId('hot-words')).getByText('上链接')).toBeTruthy();
    const stats = fetchImpl.calls.find((c) => c.url.includes('/stats'));
    expect(stats!.url).toContain('resolution=60');
  });
});

describe('recording', () => {
  it('starts and stops a recording and lists its files', async () => {
    let recordings: unknown[] = [];
    const { fetchImpl } = renderApp('/recording', (url, init) => {
      if (url.pathname === '/api/streamcap/recordings') return { body: { recordings } };
      if (url.pathname === '/api/streamcap/start') {
        recordings = [{ recording_id: 'r1', state: 'recording', stream_url: '123', files: [{ path: '/rec/r1_000.mp4', size: 1536, duration: 65 }] }];
        return { body: { success: true, recording_id: 'r1' } };
      }
      if (url.pathname === '/api/streamcap/stop' && init.method === 'POST') {
        recordings = [{ recording_id: 'r1', state: 'done', files: [{ path: '/rec/r1_000.mp4', size: 1536, duration: 65 }] }];
        return { body: { success: true } };
      }
      return undefined;
    });
    fireEvent.change(await screen.findByTestId('recording-url'), { target: { value: '123' } });
    fireEvent.click(screen.getByTestId('recording-start'));
    const item = await screen.findByTestId('recording');
    expect(item.dataset.state).toBe('recording');
    expect(item.textContent).toContain('1.5 KB');
    expect(item.textContent).toContain('01:05');
    const start = fetchImpl.calls.find((c) => c.url.endsWith('/api/streamcap/start'));
    expect(JSON.parse(String(start!.init.body))).toMatchObject({ platform: 'douyin', stream_url: '123', quality: 'origin' });
    fireEvent.click(screen.getByTestId('recording-stop'));
    await waitFor(() => expect(screen.getByTestId('recording').dataset.state).toBe('done'));
  });

  it('shows the recorder as not running on 503', async () => {
    renderApp('/recording', (url) => (url.pathname === '/api/streamcap/recordings' ? { status: 503, body: { detail: 'streamcap is not running' } } : undefined));
    expect((await screen.findByTestId('service-unavailable')).textContent).toContain('录制服务未运行');
  });
});

describe('voice transcription', () => {
  it('starts a job on the live session and shows live subtitles and history with search', async () => {
    let jobs: unknown[] = [];
    const { fetchImpl, push, socket } = renderApp('/voice-transcription', (url, init) => {
      if (url.pathname === '/api/ast/status') return { body: { jobs, engine: 'whisper', model: 'tiny', rtf: 0.3, queue_depth: 0, last_error: null } };
      if (url.pathname === '/api/ast/vocabulary') {
        if (init.method === 'PUT') return { body: JSON.parse(String(init.body)) };
        return { body: { room: url.searchParams.get('room'), words: url.searchParams.get('room') === '123' ? ['云朵酥'] : [] } };
      }
      if (url.pathname === '/api/sessions') return { body: sessions };
      if (url.pathname === '/api/ast/start') {
        jobs = [{ session_id: 's1', state: 'running', engine: 'whisper', worker_id: 'w2' }];
        return { body: { success: true, session_id: 's1' } };
      }
      if (url.pathname === '/api/sessions/s1/transcripts')
        return { body: { transcripts: [{ text: '欢迎来到直播间', start_ms: 0, end_ms: 1000 }, { text: '今天介绍新品', start_ms: 1000, end_ms: 2000 }] } };
      return undefined;
    });
    await screen.findByTestId('voice-session');
    await waitFor(() => expect((screen.getByTestId('voice-session') as HTMLSelectElement).value).toBe('s1'));
    // The room's hot words are shown, edited, kept for the room and given to the job.
    await waitFor(() => expect((screen.getByTestId('voice-hotwords') as HTMLInputElement).value).toBe('云朵酥'));
    fireEvent.change(screen.getByTestId('voice-hotwords'), { target: { value: '云朵酥，蓝鲸泡泡杯、 全网最低' } });
    fireEvent.click(screen.getByTestId('voice-start'));
    await screen.findByTestId('ast-job');
    expect(screen.getByTestId('ast-job-worker').textContent).toBe('@w2'); // the worker that runs it
    const saved = fetchImpl.calls.find((c) => c.url.includes('/api/ast/vocabulary') && c.init.method === 'PUT');
    expect(JSON.parse(String(saved!.init.body))).toEqual({ room: '123', words: ['云朵酥', '蓝鲸泡泡杯', '全网最低'] });
    const start = fetchImpl.calls.find((c) => c.url.endsWith('/api/ast/start'));
    expect(JSON.parse(String(start!.init.body))).toMatchObject({
      audio_config: { source: 'session', session_id: 's1' },
      model_config: { engine: 'whisper', language: 'zh', hotwords: ['云朵酥', '蓝鲸泡泡杯', '全网最低'] },
    });
    await waitFor(() => expect(socket()).toBeDefined());
    const sub: LiveEvent = { type: 'transcript', session_id: 's1', ts: 1, data: { text: '这是一条实时字幕', start_ms: 0, end_ms: 900 } };
    push([sub]);
    expect(within(screen.getByTestId('live-subtitles')).getByText('这是一条实时字幕')).toBeTruthy();
    await screen.findByText('今天介绍新品');
    fireEvent.change(screen.getByTestId('transcript-search'), { target: { value: '新品' } });
    await waitFor(() => expect(within(screen.getByTestId('transcript-history')).queryByText('欢迎来到直播间')).toBeNull());
  });

  it('shows the transcriber as not running on 503', async () => {
    renderApp('/voice-transcription', (url) => (url.pathname === '/api/ast/status' ? { status: 503, body: { detail: 'ast is not running' } } : url.pathname === '/api/sessions' ? { body: sessions } : undefined));
    const banners = await screen.findAllByTestId('service-unavailable');
    expect(banners[0]!.textContent).toContain('语音转写服务未运行');
  });
});

describe('settings', () => {
  it('saves only the changed backend keys and switches the theme', async () => {
    const { fetchImpl } = renderApp('/settings', (url, init) => {
      if (url.pathname === '/api/settings' && init.method === 'PUT') return { body: JSON.parse(String(init.body)) };
      if (url.pathname === '/api/settings') return { body: { recordings_dir: '/rec', gateway_port: 9019, streamcap_port: 6006, ast_engine: 'whisper', extra_key: 'x' } };
      return undefined;
    });
    const dir = await screen.findByLabelText('录制文件夹');
    await waitFor(() => expect((dir as HTMLInputElement).value).toBe('/rec'));
    fireEvent.change(dir, { target: { value: '/data/rec' } });
    fireEvent.click(screen.getAllByRole('button', { name: '保存' })[1]!);
    await waitFor(() => expect(fetchImpl.calls.some((c) => c.init.method === 'PUT')).toBe(true));
    const put = fetchImpl.calls.find((c) => c.init.method === 'PUT');
    expect(JSON.parse(String(put!.init.body))).toEqual({ recordings_dir: '/data/rec' });
    fireEvent.change(screen.getByTestId('theme-select'), { target: { value: 'dark' } });
    await act(async () => undefined);
    expect(document.documentElement.classList.contains('dark')).toBe(true);
  });
});
