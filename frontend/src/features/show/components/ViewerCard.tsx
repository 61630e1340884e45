import { useEffect, useState } from 'react';
import { Button } from '@/components/Button';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { formatCount } from '@/lib/format';
import { useT } from '@/hooks/use-t';
import { getViewer, type ViewerHistory } from '../api/show';
import { useViewerCard } from '@/stores/viewer-card';

function when(ms: number): string {
  return new Date(ms).toLocaleString();
}

/** The open viewer's history across every stored session: sessions, comments, gifts, follows, first and last seen. */
export function ViewerCard() {
  const t = useT();
  const api = useApi();
  const { userId, nickname, close } = useViewerCard();
  const [history, setHistory] = useState<ViewerHistory | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setHistory(null);
    setError(null);
    if (!userId) return;
    const ctrl = new AbortController();
    getViewer(api, userId, ctrl.signal).then(setHistory, (e: unknown) => {
      if (ctrl.signal.aborted) return;
      setError(isApiError(e) && e.status === 404 ? t('viewer.none') : t('common.error', { detail: String((e as Error).message ?? e) }));
    });
    return () => ctrl.abort();
  }, [api, userId, t]);

  useEffect(() => {
    if (!userId) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [userId, close]);

  if (!userId) return null;
  const h = history;
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/40 p-4" onClick={close}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="viewer-card-title"
        data-testid="viewer-card"
        className="max-h-[85vh] w-full max-w-xl overflow-y-auto rounded-lg bg-white p-4 shadow-xl dark:bg-slate-900"
        onClick={(e) => e.stopPropagation()}
      >
        <header className="mb-3 flex items-center justify-between gap-2">
          <h2 id="viewer-card-title" className="text-base font-semibold">
            {t('viewer.title', { name: h?.nickname || nickname || userId })}
          </h2>
          <Button size="sm" variant="ghost" onClick={close}>{t('common.close')}</Button>
        </header>
        {error && <p className="text-sm text-slate-500" data-testid="viewer-error">{error}</p>}
        {!h && !error && <p className="text-sm text-slate-500">{t('common.loading')}</p>}
        {h && (
          <div className="space-y-3 text-sm">
            <p data-testid="viewer-summary" className="text-slate-600 dark:text-slate-300">
              {t('viewer.summary', {
                sessions: h.sessions.length,
                comments: h.sessions.reduce((n, s) => n + s.comments, 0),
                diamonds: formatCount(h.diamonds),
                follows: h.follows.length,
              })}
              <br />
              {t('viewer.seen', { first: when(h.first_seen), last: when(h.last_seen) })}
            </p>
            <section>
              <h3 className="mb-1 font-medium">{t('viewer.sessions')}</h3>
              <ul data-testid="viewer-sessions" className="space-y-0.5">
                {h.sessions.map((s) => (
                  <li key={s.session_id} className="flex justify-between gap-2">
                    <span className="truncate">{s.title || s.live_id || s.session_id}</span>
                    <span className="shrink-0 text-xs text-slate-500">
                      {when(s.first_ts)} · {t('viewer.sessionComments', { n: s.comments })}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
            {h.gifts.length > 0 && (
              <section>
                <h3 className="mb-1 font-medium">{t('viewer.gifts')}</h3>
                <ul data-testid="viewer-gifts" className="space-y-0.5">
                  {h.gifts.map((g) => (
                    <li key={`${g.session_id}/${g.msg_id}`}>
                      {g.gift_name} ×{g.count} · {t('event.text.diamonds', { n: g.diamonds })}
                      <span className="ml-2 text-xs text-slate-500">{when(g.ts)}</span>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <section>
              <h3 className="mb-1 font-medium">{t('viewer.comments')}</h3>
              {h.comments.length === 0 ? (
                <p className="text-slate-500">{t('common.none')}</p>
              ) : (
                <ul data-testid="viewer-comments" className="space-y-0.5">
                  {h.comments.map((c) => (
                    <li key={`${c.session_id}/${c.msg_id}`} className="break-words">
                      <span className="mr-2 text-xs text-slate-500">{when(c.ts)}</span>
                      {c.content}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
        )}
      </div>
    </div>
  );
}
