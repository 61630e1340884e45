import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { ApiClient } from '@/lib/api-client';
import { ApiProvider } from '@/lib/api-context';
import { fakeFetch, type Route } from '@/testing/fake-api';
import type { WorkerView } from '@/types/api';
import { WorkersPanel, WorkersTable } from './WorkersPanel';

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
