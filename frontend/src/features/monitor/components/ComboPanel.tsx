import { Card } from '@/components/Card';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import type { ComboState } from '@/lib/live-log';

const COMBO_WINDOW_MS = 4000;

function ComboRow({ c, now }: { c: ComboState; now: number }) {
  // the bar drains over the combo window; a new hit refills it
  const left = c.ended ? 0 : Math.max(0, 1 - (now - c.updatedAt) / COMBO_WINDOW_MS);
  return (
    <li className="py-1 text-sm" data-testid="combo">
      <div className="flex items-baseline gap-2">
        <span className="truncate font-medium">{c.userName}</span>
        <span className="text-slate-500">{c.giftName}</span>
        <span className="ml-auto font-semibold tabular-nums text-brand-600">
          ×{c.count}
          {c.groupCount > 1 ? `×${c.groupCount}` : ''}
        </span>
      </div>
      <div
        className="mt-0.5 h-1 overflow-hidden rounded bg-slate-100 dark:bg-slate-800"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(left * 100)}
        aria-label={`${c.userName} ${c.giftName}`}
      >
        <div className={`h-full ${c.ended ? 'bg-slate-400' : 'bg-brand-500'}`} style={{ width: `${c.ended ? 100 : left * 100}%` }} />
      </div>
    </li>
  );
}

/** Gifts in a combo right now, with a bar that drains until the next hit. */
export function ComboPanel() {
  const t = useT();
  useAppStore((s) => s.liveVersion);
  const log = useAppStore((s) => s.log);
  const newest = log.get(log.nextSeq - 1);
  // event time, not wall time: the stream's own clock decides when a combo has gone quiet
  const now = newest ? Math.max(newest.ts, 0) : Date.now();
  const combos = log.activeCombos(now).slice(0, 6);
  return (
    <Card title={t('monitor.combos')} titleId="combo-title" className="min-h-[120px]">
      {combos.length === 0 ? (
        <p className="text-sm text-slate-500">{t('monitor.noCombos')}</p>
      ) : (
        <ul aria-labelledby="combo-title">
          {combos.map((c) => (
            <ComboRow key={c.key} c={c} now={now} />
          ))}
        </ul>
      )}
    </Card>
  );
}
