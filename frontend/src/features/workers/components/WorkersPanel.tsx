import { Card } from '@/components/Card';
import { ServiceGate } from '@/components/ServiceGate';
import { useApi } from '@/lib/api-context';
import { useResource } from '@/lib/use-resource';
import { useT } from '@/hooks/use-t';
import { getWorkers } from '../api/get-workers';
import type { WorkerView } from '@/types/api';

/** Seconds since an ISO time, for "heartbeat 2 s ago"; null when unreadable. */
function ageSeconds(iso: string, now: number): number | null {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : Math.max(0, Math.round((now - at) / 1000));
}

export function WorkersTable({ workers, now }: { workers: WorkerView[]; now: number }) {
  const t = useT();
  if (workers.length === 0) return <p className="text-sm text-slate-500">{t('workers.empty')}</p>;
  return (
    <table className="w-full text-left text-sm" data-testid="workers-table">
      <thead className="text-slate-500">
        <tr>
          <th className="py-1 pr-3">{t('workers.id')}</th>
          <th className="py-1 pr-3">{t('workers.host')}</th>
          <th className="py-1 pr-3">{t('workers.rooms')}</th>
          <th className="py-1 pr-3">{t('workers.recordings')}</th>
          <th className="py-1 pr-3">{t('workers.jobs')}</th>
          <th className="py-1 pr-3">{t('workers.heartbeat')}</th>
        </tr>
      </thead>
      <tbody>
        {workers.map((w) => {
          const age = ageSeconds(w.heartbeat_at, now);
          const full = w.capacity > 0 && w.rooms.length >= w.capacity;
          return (
            <tr key={w.worker_id} data-testid="worker-row" className="border-t border-slate-200 dark:border-slate-700">
              <td className="py-1 pr-3 font-mono">{w.worker_id}</td>
              <td className="py-1 pr-3">{w.host}</td>
              <td className={`py-1 pr-3 ${full ? 'text-amber-600' : ''}`} data-testid="worker-rooms" title={w.rooms.join('\n')}>
                {w.rooms.length} / {w.capacity}
              </td>
              <td className="py-1 pr-3">{w.recordings.length}</td>
              <td className="py-1 pr-3">{w.jobs.length}</td>
              <td className="py-1 pr-3" data-testid="worker-heartbeat">
                {age === null ? w.heartbeat_at : t('workers.ago', { s: age })}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Every worker of the suite (this machine's and those started with `timao up --role worker`), refreshed every 2 s. */
export function WorkersPanel() {
  const t = useT();
  const api = useApi();
  const workers = useResource('workers', (signal) => getWorkers(api, signal), { intervalMs: 2000 });
  const list = workers.data?.workers ?? [];
  const rooms = list.reduce((n, w) => n + w.rooms.length, 0);
  return (
    <Card title={t('workers.title')} titleId="workers-title">
      <p className="mb-3 text-sm text-slate-500" data-testid="workers-summary">
        {t('workers.summary', { workers: list.length, rooms })}
      </p>
      <ServiceGate error={workers.error} service="gateway" hasData={workers.data !== null}>
        <WorkersTable workers={list} now={Date.now()} />
      </ServiceGate>
    </Card>
  );
}
