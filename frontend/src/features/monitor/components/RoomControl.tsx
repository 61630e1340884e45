import { useState, type FormEvent, type ReactNode } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { ErrorLine, ServiceGate } from '@/components/ServiceGate';
import { StatusDot, toneForState } from '@/components/StatusDot';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { parseLiveId } from '@/lib/format';
import { useResource } from '@/lib/use-resource';
import { useAppStore } from '@/stores/app-store';
import { useT, useTOptional } from '@/hooks/use-t';
import { getDouyinStatus, startDouyin, stopDouyin } from '../api/douyin';
import type { DouyinSession } from '@/types/api';

function SessionRow({ s, current, onView, onStop }: {
  s: DouyinSession;
  current: boolean;
  onView: () => void;
  onStop: () => void;
}) {
  const t = useT();
  const tOpt = useTOptional();
  return (
    <li className="flex items-center gap-2 py-1.5 text-sm" data-testid="douyin-session" data-state={String(s.state)}>
      <StatusDot tone={toneForState(String(s.state))} />
      <span className="font-medium">{s.title || s.live_id}</span>
      {s.anchor && <span className="text-slate-500">{t('monitor.anchor')}：{s.anchor}</span>}
      <span className="text-xs text-slate-500">{tOpt(`monitor.state.${String(s.state)}`, String(s.state))}</span>
      {s.error && <span className="truncate text-xs text-rose-600">{s.error}</span>}
      {s.logged_in === false && (
        <span className="truncate text-xs text-amber-700 dark:text-amber-400" data-testid="guest-reason">
          {s.reason || t('monitor.guest')}
        </span>
      )}
      <span className="ml-auto flex gap-1">
        <Button size="sm" variant={current ? 'primary' : 'secondary'} onClick={onView} aria-pressed={current}>
          {current ? t('monitor.following') : t('monitor.follow')}
        </Button>
        <Button size="sm" variant="danger" onClick={onStop}>
          {t('monitor.stop')}
        </Button>
      </span>
    </li>
  );
}

/**
 * Room input, start/stop, and the fetcher's sessions with their connection state (and why a room runs as a
 * guest). `actions`: what the page puts beside the start button (the Douyin login button).
 */
export function RoomControl({ actions }: { actions?: ReactNode } = {}) {
  const t = useT();
  const api = useApi();
  const sessionId = useAppStore((s) => s.sessionId);
  const setSession = useAppStore((s) => s.setSession);
  const clearLive = useAppStore((s) => s.clearLive);
  const [room, setRoom] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const status = useResource('douyin-status', (signal) => getDouyinStatus(api, signal), { intervalMs: 2000 });

  const follow = (id: string | null, liveId: string | null) => {
    if (id !== sessionId) clearLive();
    setSession(id, liveId);
  };

  const onStart = async (e: FormEvent) => {
    e.preventDefault();
    const liveId = parseLiveId(room);
    if (!liveId) {
      setError(t('monitor.badRoom'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await startDouyin(api, liveId);
      // A share text or profile URL is followed by the server; it answers with the room's own id.
      follow(res.session_id, res.live_id || liveId);
      status.reload();
    } catch (err) {
      setError(isApiError(err) ? t('common.error', { detail: err.detail || err.kind }) : String(err));
    } finally {
      setBusy(false);
    }
  };

  const onStop = async (id: string) => {
    setError(null);
    try {
      await stopDouyin(api, id);
      status.reload();
    } catch (err) {
      setError(isApiError(err) ? t('common.error', { detail: err.detail || err.kind }) : String(err));
    }
  };

  const sessions = status.data?.sessions ?? [];
  return (
    <Card title={t('monitor.title')} titleId="room-control-title">
      <form onSubmit={onStart} className="flex flex-wrap items-end gap-2">
        <Field label={t('monitor.room')} className="min-w-[260px] flex-1">
          {(id) => (
            <input
              id={id}
              className={inputClass}
              value={room}
              placeholder={t('monitor.roomPlaceholder')}
              onChange={(e) => setRoom(e.target.value)}
              data-testid="room-input"
            />
          )}
        </Field>
        <Button type="submit" disabled={busy || !room.trim()} data-testid="room-start">
          {t('monitor.start')}
        </Button>
        {actions}
      </form>
      {error && <div className="mt-2"><ErrorLine message={error} /></div>}
      <div className="mt-3">
        <ServiceGate error={status.error} service="douyin_fetcher" hasData={status.data !== null}>
          {sessions.length === 0 ? (
            <p className="text-sm text-slate-500">{t('monitor.noSession')}</p>
          ) : (
            <ul aria-label={t('monitor.sessions')} className="divide-y divide-slate-100 dark:divide-slate-800">
              {sessions.map((s) => (
                <SessionRow
                  key={s.session_id}
                  s={s}
                  current={s.session_id === sessionId}
                  onView={() => follow(s.session_id, s.live_id)}
                  onStop={() => void onStop(s.session_id)}
                />
              ))}
            </ul>
          )}
        </ServiceGate>
      </div>
    </Card>
  );
}
