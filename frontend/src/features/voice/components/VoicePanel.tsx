import { useMemo, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { ErrorLine, ServiceGate } from '@/components/ServiceGate';
import { StatusDot, toneForState } from '@/components/StatusDot';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import { getAstStatus, getTranscripts, getVoiceSessions, saveVocabulary, startAst, stopAst } from '../api/ast';
import { TranscribeForm, type RoomVocabulary } from './TranscribeForm';
import { LiveSubtitles, TranscriptHistory } from './Subtitles';
import type { AstStartRequest } from '@/types/api';

/** Start/stop transcription on a source, live subtitles, history with search. */
export function VoicePanel() {
  const t = useT();
  const api = useApi();
  const followed = useAppStore((s) => s.sessionId);
  const status = useResource('ast-status', (signal) => getAstStatus(api, signal), { intervalMs: 2000 });
  const sessions = useResource('voice-sessions', (signal) => getVoiceSessions(api, signal), { intervalMs: 10000 });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [historyId, setHistoryId] = useState<string | null>(null);
  const jobs = status.data?.jobs ?? [];
  const sessionList = sessions.data?.sessions ?? [];
  const historySession = historyId ?? jobs[0]?.session_id ?? followed ?? sessionList[0]?.id ?? null;
  const history = useResource(
    `transcripts:${historySession ?? ''}`,
    (signal) => getTranscripts(api, historySession ?? '', signal),
    { intervalMs: jobs.length > 0 ? 3000 : 15000, enabled: Boolean(historySession) },
  );
  const jobIds = useMemo(() => new Set(jobs.map((j) => j.session_id)), [jobs]);

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      status.reload();
    } catch (err) {
      setError(isApiError(err) ? t('common.error', { detail: err.detail || err.kind }) : String(err));
    } finally {
      setBusy(false);
    }
  };
  const onStart = (req: AstStartRequest, vocabulary: RoomVocabulary) =>
    void run(async () => {
      // The room keeps its words for next time; too many or too long is refused here, before anything starts.
      await saveVocabulary(api, vocabulary.room, vocabulary.words);
      const res = await startAst(api, req);
      setHistoryId(res.session_id);
    });

  return (
    <div className="flex flex-col gap-4">
      <Card title={t('voice.title')} titleId="voice-title">
        <ServiceGate error={status.error} service="ast" hasData={status.data !== null}>
          <TranscribeForm
            sessions={sessionList}
            defaultSession={followed}
            busy={busy}
            onStart={onStart}
            defaultEngine={status.data?.engine}
            defaultModel={status.data?.model}
          />
        </ServiceGate>
        {error && <div className="mt-2"><ErrorLine message={error} /></div>}
      </Card>
      <Card
        title={t('voice.jobs')}
        titleId="voice-jobs-title"
        actions={
          status.data && (
            <span className="text-xs text-slate-500">
              {status.data.rtf != null && t('voice.rtf', { rtf: status.data.rtf.toFixed(2) })}
              {status.data.queue_depth != null && ` · ${t('voice.queue', { n: status.data.queue_depth })}`}
            </span>
          )
        }
      >
        {status.data?.last_error && <ErrorLine message={t('voice.lastError', { e: status.data.last_error })} />}
        {jobs.length === 0 ? (
          <p className="text-sm text-slate-500">{t('voice.noJobs')}</p>
        ) : (
          <ul className="divide-y divide-slate-100 dark:divide-slate-800">
            {jobs.map((j) => (
              <li key={j.session_id} className="flex items-center gap-2 py-1.5 text-sm" data-testid="ast-job">
                <StatusDot tone={toneForState(String(j.state))} />
                <span className="font-mono text-xs">{j.session_id}</span>
                <span>{String(j.state)}</span>
                {j.worker_id && <span className="text-xs text-slate-500" data-testid="ast-job-worker">@{j.worker_id}</span>}
                {j.engine && <span className="text-slate-500">{j.engine}{j.model ? ` / ${j.model}` : ''}</span>}
                {j.error && <span className="text-xs text-rose-600">{j.error}</span>}
                <Button size="sm" variant="danger" className="ml-auto" disabled={busy} onClick={() => void run(() => stopAst(api, j.session_id))} data-testid="voice-stop">
                  {t('voice.stop')}
                </Button>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <LiveSubtitles sessionIds={jobIds} />
      {sessionList.length > 0 && (
        <Field label={t('voice.session')} className="max-w-md">
          {(id) => (
            <select id={id} className={inputClass} value={historySession ?? ''} onChange={(e) => setHistoryId(e.target.value)}>
              {sessionList.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title || s.live_id || s.id}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <ServiceGate error={history.error} service="ast" hasData={history.data !== null}>
        <TranscriptHistory transcripts={history.data?.transcripts ?? []} title={t('voice.history')} />
      </ServiceGate>
    </div>
  );
}
