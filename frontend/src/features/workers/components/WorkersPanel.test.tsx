import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ApiClient } from '@/lib/api-client';
import { ApiProvider } from '@/lib/api-context';
import { fakeFetch, type Route } from '@/testing/fake-api';
import type { WorkerView } from '@/types/api';
import { RoomMoves, WorkersPanel, WorkersTable } from './WorkersPanel';

const worker = (id: string, rooms: string[], capacity: number, heartbeatAt: string): WorkerView => ({
  worker_id: id,
  host: `host-${id}`,
  rooms,
  recordings: [],
  jobs: [],
  heartbeat_at: heartbeatAt,
  capacity,
  services: ['douyin_fetcher'],
});

describe('WorkersPanel', () => {
  it('lists every worker from GET /api/workers with its rooms against its capacity', async () => {
    const now = new Date().toISOString();
    const route: Route = (url) =>
      url.pathname === '/api/workers'
        ? { body: { workers: [worker('main', ['s1', 's2'], 500, now), worker('w1', ['s3'], 1, now)] } }
        : undefined;
    const api = new ApiClient({ getConfig: () => ({ baseUrl: 'http://gateway.test', token: 'tok' }), fetchImpl: fakeFetch(route), retries: 0 });
    render(
      <ApiProvider client={api}>
        <WorkersPanel />
      </ApiProvider>,
    );
    const rows = await screen.findAllByTestId('worker-row');
    expect(rows.map((r) => within(r).getAllByRole('cell')[0]!.textContent)).toEqual(['main', 'w1']);
    expect(rows.map((r) => within(r).getByTestId('worker-rooms').textContent)).toEqual(['2 / 500', '1 / 1']);
    expect(within(rows[1]!).getByTestId('worker-rooms').className).toContain('text-amber-600'); // full
    expect(screen.getByTestId('workers-summary').textContent).toBe('2 个工作节点，共 3 个直播间');
  });

  it('says how long ago each worker reported, and when there is none', () => {
    const now = Date.parse('2027-01-15T08:00:10Z');
    const { rerender } = render(<WorkersTable workers={[worker('w2', [], 5, '2027-01-15T08:00:07Z')]} now={now} />);
    expect(screen.getByTestId('worker-heartbeat').textContent).toBe('3 秒前');
    rerender(<WorkersTable workers={[]} now={now} />);
    expect(screen.queryByTestId('workers-table')).toBeNull();
    expect(screen.getByText('没有运行中的工作节点。')).toBeTruthy();
  });
});

describe('RoomMoves', () => {
  const api = (route: Route) =>
    new ApiClient({ getConfig: () => ({ baseUrl: 'http://gateway.test', token: 'tok' }), fetchImpl: fakeFetch(route), retries: 0 });

  it('moves a room to the live worker chosen in 迁移到… and shows it there at the next refresh', async () => {
    const now = new Date().toISOString();
    let moved = false;
    const posts: unknown[] = [];
    const route: Route = (url, init) => {
      if (url.pathname === '/api/workers') {
        const onMain = moved ? [] : ['sess-0123456789abcdef'];
        const onW2 = moved ? ['sess-0123456789abcdef'] : [];
        return { body: { workers: [worker('main', onMain, 500, now), worker('w2', onW2, 5, now), worker('w3', ['x'], 1, now)] } };
      }
      if (url.pathname === '/api/douyin/move' && init.method === 'POST') {
        posts.push(JSON.parse(String(init.body)));
        moved = true;
        return { body: { success: true, session_id: 'sess-0123456789abcdef', worker_id: 'w2', from_worker_id: 'main' } };
      }
      return undefined;
    };
    render(
      <ApiProvider client={api(route)}>
        <WorkersPanel />
      </ApiProvider>,
    );
    const select = await screen.findByRole('combobox', { name: '迁移到… sess-0123456789abcdef' });
    const options = within(select).getAllByRole('option') as HTMLOptionElement[];
    expect(options.map((o) => [o.textContent, o.disabled])).toEqual([
      ['迁移到…', false],
      ['w2', false],
      ['w3（已满）', true], // full: shown, not choosable
    ]);
    fireEvent.change(select, { target: { value: 'w2' } });
    expect((await screen.findByRole('status')).textContent).toBe('会话 sess-0123456 已迁移到 w2，约 2 秒后在该节点继续');
    expect(posts).toEqual([{ session_id: 'sess-0123456789abcdef', worker_id: 'w2' }]);
    await waitFor(() => {
      const row = screen.getAllByTestId('room-move-row').find((r) => r.textContent?.includes('sess-0123456'))!;
      expect(within(row).getAllByRole('cell')[1]!.textContent).toBe('w2');
    });
  });

  it("shows the gateway's refusal (409, target full) and keeps the room where it is", async () => {
    const now = new Date().toISOString();
    const workers = [worker('main', ['s-one'], 500, now), worker('w2', [], 5, now)];
    const route: Route = (url) => {
      if (url.pathname === '/api/workers') return { body: { workers } };
      if (url.pathname === '/api/douyin/move') return { status: 409, body: { detail: '工作节点 w2 已满 (5/5) (worker w2 is full)' } };
      return undefined;
    };
    render(
      <ApiProvider client={api(route)}>
        <WorkersPanel />
      </ApiProvider>,
    );
    fireEvent.change(await screen.findByRole('combobox', { name: '迁移到… s-one' }), { target: { value: 'w2' } });
    expect((await screen.findByRole('alert')).textContent).toContain('工作节点 w2 已满');
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('has nowhere to move a room when one worker runs', () => {
    render(
      <ApiProvider client={api(() => undefined)}>
        <RoomMoves workers={[worker('only', ['s1'], 5, '2027-01-15T08:00:07Z')]} onMoved={() => undefined} />
      </ApiProvider>,
    );
    expect(screen.getByText('只有一个工作节点，无处可迁')).toBeTruthy();
    expect(screen.queryByRole('combobox')).toBeNull();
  });
});
