import { useEffect, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { ServiceGate } from '@/components/ServiceGate';
import { useApi } from '@/lib/api-context';
import { formatClock, toMillis } from '@/lib/format';
import { useResource } from '@/lib/use-resource';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import { getGiftRanking, getHotWords, getQuestions, getSessions, getStats, getTopChatters } from '../api/analytics';
import { CommentsChart, ViewerChart } from './SeriesCharts';
import { GiftRanking, HotWords, Questions, TopChatters } from './Rankings';
import type { LiveSessionInfo } from '@/types/api';

const REFRESH_MS = 10_000;

function sessionLabel(s: LiveSessionInfo): string {
  const started = toMillis(s.started_at);
  const when = started ? new Date(started).toLocaleString() : '';
  return `${s.title || s.live_id || s.id} · ${s.platform} · ${when}`;
}

function SessionPicker({ sessions, value, onChange }: { sessions: readonly LiveSessionInfo[]; value: string | null; onChange: (id: string) => void }) {
  const t = useT();
  return (
    <Field label={t('dashboard.session')} className="min-w-[320px]">
      {(id) => (
        <select id={id} className={inputClass} value={value ?? ''} onChange={(e) => onChange(e.target.value)} data-testid="session-picker">
          {sessions.map((s) => (
            <option key={s.id} value={s.id}>
              {sessionLabel(s)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The session's analytics, refreshed by themselves every few seconds. */
export function Dashboard() {
  const t = useT();
  const api = useApi();
  const followed = useAppStore((s) => s.sessionId);
  const sessions = useResource('sessions', (signal) => getSessions(api, signal), { intervalMs: REFRESH_MS });
  const list = sessions.data?.sessions ?? [];
  const [picked, setPicked] = useState<string | null>(null);

  useEffect(() => {
    if (picked && list.some((s) => s.id === picked)) return;
    const preferred = list.find((s) => s.id === followed) ?? list.find((s) => s.status === 'live') ?? list[0];
    if (preferred) setPicked(preferred.id);
  }, [list, picked, followed]);

  const id = picked ?? '';
  const enabled = Boolean(picked);
  const opts = { intervalMs: REFRESH_MS, enabled };
  const stats = useResource(`stats:${id}`, (signal) => getStats(api, id, 60, signal), opts);
  const ranking = useResource(`ranking:${id}`, (signal) => getGiftRanking(api, id, signal), opts);
  const chatters = useResource(`chatters:${id}`, (signal) => getTopChatters(api, id, signal), opts);
  const words = useResource(`words:${id}`, (signal) => getHotWords(api, id, 300, signal), opts);
  const questions = useResource(`questions:${id}`, (signal) => getQuestions(api, id, signal), opts);
  const reloadAll = () => [sessions, stats, ranking, chatters, words, questions].forEach((r) => r.reload());
  const series = stats.data?.series ?? [];

  return (
    <div className="flex flex-col gap-4">
      <Card
        title={t('dashboard.title')}
        titleId="dashboard-title"
        actions={
          <>
            <span className="text-xs text-slate-500">
              {t('dashboard.autoRefresh', { s: REFRESH_MS / 1000 })}
              {stats.updatedAt ? ` · ${formatClock(stats.updatedAt)}` : ''}
            </span>
            <Button size="sm" variant="secondary" onClick={reloadAll}>
              {t('common.refresh')}
            </Button>
          </>
        }
      >
        <ServiceGate error={sessions.error} service="analytics" hasData={sessions.data !== null}>
          {list.length === 0 ? (
            <p className="text-sm text-slate-500">{sessions.loading ? t('common.loading') : t('dashboard.noSessions')}</p>
          ) : (
            <SessionPicker sessions={list} value={picked} onChange={setPicked} />
          )}
        </ServiceGate>
      </Card>
      {enabled && (
        <>
          <ServiceGate error={stats.error} service="analytics" hasData={stats.data !== null}>
            {stats.data === null ? (
              <p className="text-sm text-slate-500">{t('common.loading')}</p>
            ) : (
              <div className="grid gap-4 xl:grid-cols-2">
                <ViewerChart series={series} />
                <CommentsChart series={series} />
              </div>
            )}
          </ServiceGate>
          <div className="grid gap-4 lg:grid-cols-3">
            <ServiceGate error={ranking.error} service="analytics" hasData={ranking.data !== null}>
              <GiftRanking ranking={ranking.data?.ranking ?? []} />
            </ServiceGate>
            <ServiceGate error={chatters.error} service="analytics" hasData={chatters.data !== null}>
              <TopChatters chatters={chatters.data?.chatters ?? []} />
            </ServiceGate>
            <ServiceGate error={words.error} service="analytics" hasData={words.data !== null}>
              <HotWords words={words.data?.words ?? []} />
            </ServiceGate>
          </div>
          <ServiceGate error={questions.error} service="analytics" hasData={questions.data !== null}>
            <Questions questions={questions.data?.questions ?? []} />
          </ServiceGate>
        </>
      )}
    </div>
  );
}
