import { Button } from '@/components/Button';
import { useT } from '@/hooks/use-t';
import type { BurnStatus } from '../api/subtitles';

/** The 烧录弹幕 job: progress while it runs (with 取消), then where the copy is or why it failed. */
export function BurnStatusBar({ status, onCancel, busy }: { status: BurnStatus | null; onCancel: () => void; busy?: boolean }) {
  const t = useT();
  if (!status || status.state === 'idle') return null;
  const percent = Math.max(0, Math.min(100, status.percent ?? 0));
  return (
    <div className="mb-3 rounded-md border border-slate-200 p-2 text-sm dark:border-slate-700" data-testid="burn-status" data-state={status.state}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{t('recording.burn.title')}</span>
        <span className="text-xs text-slate-500">{t(`recording.burn.state.${status.state}`)}</span>
        {status.state === 'running' && (
          <>
            <span className="tabular-nums" data-testid="burn-percent">{percent.toFixed(1)}%</span>
            <Button size="sm" variant="danger" className="ml-auto" disabled={busy} onClick={onCancel} data-testid="burn-cancel">
              {t('recording.burn.cancel')}
            </Button>
          </>
        )}
      </div>
      {status.state === 'running' && (
        <div
          className="mt-2 h-2 w-full overflow-hidden rounded bg-slate-100 dark:bg-slate-800"
          role="progressbar"
          aria-label={t('recording.burn.title')}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(percent)}
        >
          <div className="h-full bg-sky-500 transition-[width]" style={{ width: `${percent}%` }} />
        </div>
      )}
      {status.state === 'done' && status.output && (
        <div className="mt-1 truncate font-mono text-xs" title={status.output} data-testid="burn-output">
          {t('recording.burn.output')}：{status.output}
        </div>
      )}
      {status.error && status.state === 'failed' && <div className="mt-1 text-xs text-rose-600">{status.error}</div>}
    </div>
  );
}
