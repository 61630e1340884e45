import { useState } from 'react';
import { Card } from '@/components/Card';
import { ErrorLine, ServiceGate } from '@/components/ServiceGate';
import { inputClass } from '@/components/Field';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import { useT } from '@/hooks/use-t';
import { getWorkers } from '../api/get-workers';
import { moveRoom } from '../api/move-room';
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
          const full = isFull(w);
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

const isFull = (w: WorkerView) => w.capacity > 0 && w.rooms.length >= w.capacity;

/**
 * Every room with the worker that runs it, and a "迁移到…" choice of the other live workers (a full one is shown but
 * cannot be chosen). A move answers at once; the room shows on its new worker at the next refresh (about 2 s).
 */
export function RoomMoves({ workers, onMoved }: { workers: WorkerView[]; onMoved: () => void }) {
  const t = useT();
  const api = useApi();
  const [moving, setMoving] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rooms = workers.flatMap((w) => w.rooms.map((session) => ({ session, worker: w.worker_id })));
  if (rooms.length === 0) return null;

  const move = async (session: string, target: string) => {
    if (!target) return;
    setMoving(session);
    setDone(null);
    setError(null);
    try {
      const res = await moveRoom(api, session, target);
      setDone(t('workers.moved', { session: res.session_id.slice(0, 12), worker: res.worker_id }));
      onMoved();
    } catch (err) {
      setError(isApiError(err) ? t('common.error', { detail: err.detail || err.kind }) : String(err));
    } finally {
      setMoving(null);
    }
  };

  return (
    <div className="mt-4" data-testid="room-moves">
      <h3 className="mb-1 text-sm font-medium">{t('workers.roomsTitle')}</h3>
      {done && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          {done}
        </p>
      )}
      {error && <ErrorLine message={error} />}
      <table className="w-full text-left text-sm">
        <thead className="text-slate-500">
          <tr>
            <th className="py-1 pr-3">{t('workers.session')}</th>
            <th className="py-1 pr-3">{t('workers.on')}</th>
            <th className="py-1 pr-3">{t('workers.moveTo')}</th>
          </tr>
        </thead>
        <tbody>
          {rooms.map(({ session, worker }) => {
            const others = workers.filter((w) => w.worker_id !== worker);
            return (
              <tr key={session} data-testid="room-move-row" className="border-t border-slate-200 dark:border-slate-700">
                <td className="py-1 pr-3 font-mono" title={session}>
                  {session.slice(0, 12)}
                </td>
                <td className="py-1 pr-3 font-mono">{worker}</td>
                <td className="py-1 pr-3">
                  {others.length === 0 ? (
                    <span className="text-slate-500">{t('workers.noOther')}</span>
                  ) : (
                    <select
                      className={inputClass}
                      aria-label={`${t('workers.moveTo')} ${session}`}
                      value=""
                      disabled={moving !== null}
                      onChange={(e) => void move(session, e.target.value)}
                    >
                      <option value="">{moving === session ? t('workers.moving') : t('workers.moveTo')}</option>
                      {others.map((w) => (
                        <option key={w.worker_id} value={w.worker_id} disabled={isFull(w)}>
                          {isFull(w) ? t('workers.moveFull', { worker: w.worker_id }) : w.worker_id}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
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
        <RoomMoves workers={list} onMoved={workers.reload} />
      </ServiceGate>
    </Card>
  );
}
