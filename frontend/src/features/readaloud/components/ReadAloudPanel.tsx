import { Link } from 'react-router-dom';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { useT } from '@/hooks/use-t';
import { useReadAloud } from '../store';

/** 语音播报 on the monitor page: the switch, what is being read, 跳过, the volume and the waiting lines. */
export function ReadAloudPanel() {
  const t = useT();
  const settings = useReadAloud((s) => s.settings);
  const snap = useReadAloud((s) => s.snapshot);
  const update = useReadAloud((s) => s.update);
  const skip = useReadAloud((s) => s.skip);
  const supported = snap?.supported ?? true;
  const counts = snap?.counts;
  const filtered = counts ? Object.values(counts.skipped).reduce((a, b) => a + b, 0) - counts.skipped.off : 0;

  return (
    <Card
      title={t('readaloud.title')}
      titleId="readaloud-title"
      actions={
        <>
          <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-300">
            <input
              type="checkbox"
              role="switch"
              checked={settings.enabled}
              disabled={!supported}
              onChange={(e) => update({ enabled: e.target.checked })}
              data-testid="readaloud-toggle"
            />
            {t('readaloud.on')}
          </label>
          <Link to="/settings" className="text-xs text-brand-600 underline">
            {t('readaloud.more')}
          </Link>
        </>
      }
    >
      <div data-testid="readaloud" data-enabled={settings.enabled ? 'true' : 'false'}>
        {!supported && (
          <p role="alert" className="mb-2 text-sm text-amber-700">
            {t('readaloud.unsupported')}
          </p>
        )}
        <div className="flex items-center gap-2">
          <p className="min-w-0 flex-1 truncate text-sm" data-testid="readaloud-speaking" aria-live="polite">
            {snap?.speaking ? (
              <>
                <span className="text-slate-500">{t('readaloud.speaking')}：</span>
                {snap.speaking.text}
              </>
            ) : (
              <span className="text-slate-500">{t('readaloud.idle')}</span>
            )}
          </p>
          <Button size="sm" variant="secondary" onClick={skip} disabled={!snap?.speaking} data-testid="readaloud-skip">
            {t('readaloud.skip')}
          </Button>
        </div>
        <label className="mt-2 flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
          {t('readaloud.volume')}
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={settings.volume}
            onChange={(e) => update({ volume: Number(e.target.value) })}
            className="flex-1"
            data-testid="readaloud-volume"
          />
          <span className="w-10 text-right tabular-nums">{Math.round(settings.volume * 100)}%</span>
        </label>
        {snap && snap.queue.length > 0 && (
          <div className="mt-2">
            <p className="text-xs text-slate-500">{t('readaloud.queue', { n: snap.queue.length })}</p>
            <ol className="max-h-24 overflow-auto text-xs text-slate-600 dark:text-slate-300" data-testid="readaloud-queue">
              {snap.queue.map((line) => (
                <li key={line.id} className="truncate">
                  {line.text}
                </li>
              ))}
            </ol>
          </div>
        )}
        {counts && (
          <p className="mt-2 text-xs text-slate-500" data-testid="readaloud-counts">
            {t('readaloud.counts', { spoken: counts.spoken, dropped: counts.dropped, skipped: counts.skippedByUser, filtered })}
          </p>
        )}
        {snap?.voice && <p className="text-xs text-slate-500">{t('readaloud.voiceNow', { name: snap.voice })}</p>}
        {snap?.lastError && (
          <p className="text-xs text-amber-700" data-testid="readaloud-error">
            {/* browsers refuse speech until the page has been clicked once */}
            {snap.lastError === 'not-allowed' ? t('readaloud.notAllowed') : t('readaloud.error', { error: snap.lastError })}
          </p>
        )}
      </div>
    </Card>
  );
}
