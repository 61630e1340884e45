import { useCallback, useEffect, useRef, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { useApi } from '@/lib/api-context';
import { formatClock } from '@/lib/format';
import { useT } from '@/hooks/use-t';
import { listDraws, runDraw, type DrawResult } from '../api/show';
import { ViewerName } from '@/components/ViewerName';

type Phase = { kind: 'idle' } | { kind: 'counting'; since: number; endsAt: number } | { kind: 'drawing' };

/**
 * A live lucky draw (抽奖): viewers comment the keyword while a countdown runs; when it ends, the gateway draws the
 * winners among everyone who did (one entry each, masked viewers out) and records the seed that reproduces them.
 */
export function LuckyDraw({ sessionId }: { sessionId: string | null }) {
  const t = useT();
  const api = useApi();
  const [keyword, setKeyword] = useState('扣1');
  const [winners, setWinners] = useState(1);
  const [seconds, setSeconds] = useState(60);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [now, setNow] = useState(Date.now());
  const [result, setResult] = useState<DrawResult | null>(null);
  const [history, setHistory] = useState<DrawResult[]>([]);
  const [error, setError] = useState<string | null>(null);
  const drawing = useRef(false);

  const reload = useCallback(() => {
    if (!sessionId) return;
    listDraws(api, sessionId).then((r) => setHistory(r.draws), () => undefined);
  }, [api, sessionId]);
  useEffect(reload, [reload]);

  const finish = useCallback(
    async (since: number) => {
      if (!sessionId || drawing.current) return;
      drawing.current = true;
      setPhase({ kind: 'drawing' });
      try {
        const r = await runDraw(api, sessionId, { keyword: keyword.trim(), since_ms: since, until_ms: Date.now(), winners });
        setResult(r);
        reload();
      } catch (e) {
        setError(t('common.error', { detail: (e as Error).message }));
      } finally {
        drawing.current = false;
        setPhase({ kind: 'idle' });
      }
    },
    [api, sessionId, keyword, winners, reload, t],
  );

  useEffect(() => {
    if (phase.kind !== 'counting') return;
    const timer = window.setInterval(() => {
      const at = Date.now();
      setNow(at);
      if (at >= phase.endsAt) void finish(phase.since);
    }, 200);
    return () => window.clearInterval(timer);
  }, [phase, finish]);

  const start = () => {
    setError(null);
    setResult(null);
    if (!keyword.trim()) return setError(t('draw.keywordMissing'));
    const since = Date.now();
    setNow(since);
    setPhase({ kind: 'counting', since, endsAt: since + Math.max(1, seconds) * 1000 });
  };

  const left = phase.kind === 'counting' ? Math.max(0, Math.ceil((phase.endsAt - now) / 1000)) : 0;
  const busy = phase.kind !== 'idle';
  return (
    <Card title={t('draw.title')} titleId="lucky-draw-title">
      {!sessionId ? (
        <p className="text-sm text-slate-500">{t('draw.noSession')}</p>
      ) : (
        <div className="space-y-3" data-testid="lucky-draw">
          <div className="flex flex-wrap items-end gap-2">
            <Field label={t('draw.keyword')}>
              {(id) => <input id={id} className={inputClass} value={keyword} maxLength={50} disabled={busy} onChange={(e) => setKeyword(e.target.value)} data-testid="draw-keyword" />}
            </Field>
            <Field label={t('draw.winners')}>
              {(id) => <input id={id} type="number" min={1} max={100} className={`${inputClass} w-20`} value={winners} disabled={busy} onChange={(e) => setWinners(Math.min(100, Math.max(1, Number(e.target.value) || 1)))} data-testid="draw-winners" />}
            </Field>
            <Field label={t('draw.seconds')}>
              {(id) => <input id={id} type="number" min={1} max={3600} className={`${inputClass} w-24`} value={seconds} disabled={busy} onChange={(e) => setSeconds(Math.min(3600, Math.max(1, Number(e.target.value) || 1)))} data-testid="draw-seconds" />}
            </Field>
            {phase.kind === 'counting' ? (
              <Button variant="secondary" onClick={() => void finish(phase.since)} data-testid="draw-now">{t('draw.now')}</Button>
            ) : (
              <Button onClick={start} disabled={busy} data-testid="draw-start">{t('draw.start')}</Button>
            )}
          </div>
          {phase.kind === 'counting' && (
            <p className="text-2xl font-semibold tabular-nums text-brand-600" data-testid="draw-countdown" aria-live="polite">
              {t('draw.countdown', { keyword: keyword.trim(), s: left })}
            </p>
          )}
          {phase.kind === 'drawing' && <p className="text-sm">{t('draw.drawing')}</p>}
          {error && <p className="text-sm text-rose-600" role="alert">{error}</p>}
          {result && (
            <div data-testid="draw-result" className="rounded bg-amber-50 p-3 dark:bg-amber-950">
              <p className="text-sm">{t('draw.entrants', { n: result.entrants })}</p>
              {result.winners.length === 0 ? (
                <p className="text-sm">{t('draw.noWinners')}</p>
              ) : (
                <ol className="my-1 list-decimal pl-6 text-lg font-semibold" data-testid="draw-winner-list">
                  {result.winners.map((w) => (
                    <li key={w.user_id}><ViewerName user={{ id: w.user_id, nickname: w.nickname }} /></li>
                  ))}
                </ol>
              )}
              <p className="text-xs text-slate-500" data-testid="draw-seed">{t('draw.seed', { seed: result.seed })}</p>
            </div>
          )}
          {history.length > 0 && (
            <details>
              <summary className="cursor-pointer text-sm text-slate-600">{t('draw.history', { n: history.length })}</summary>
              <ul className="mt-1 space-y-0.5 text-xs" data-testid="draw-history">
                {history.map((d) => (
                  <li key={d.draw_id}>
                    {formatClock(d.created_ms)} · 「{d.keyword}」 · {t('draw.entrants', { n: d.entrants })} · {d.winners.map((w) => w.nickname).join('、') || '—'} · {t('draw.seed', { seed: d.seed })}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </Card>
  );
}
