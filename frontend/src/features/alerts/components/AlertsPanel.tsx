import { useCallback, useMemo } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { formatClock } from '@/lib/format';
import { alertMatch, type AlertKind } from '@/lib/live-rules';
import { useT } from '@/hooks/use-t';
import type { TFunction } from '@/lib/i18n';
import type { LiveEvent } from '@/types/events';
import type { AlertItem } from '../engine';
import { useAlerts } from '../store';

/** Row colours of an alert, shared by the list and the live feed's highlight. */
export const ALERT_CLASS: Record<AlertKind, string> = {
  gift: 'bg-amber-50 ring-1 ring-inset ring-amber-300 dark:bg-amber-950 dark:ring-amber-700',
  keyword: 'bg-rose-50 ring-1 ring-inset ring-rose-300 dark:bg-rose-950 dark:ring-rose-700',
  question: 'bg-sky-50 ring-1 ring-inset ring-sky-300 dark:bg-sky-950 dark:ring-sky-700',
};

/** For the live feed: the alert an event raises under the current settings (or null), to highlight its row. */
export function useAlertHighlight(): (ev: LiveEvent) => AlertKind | null {
  const settings = useAlerts((s) => s.settings);
  return useCallback((ev: LiveEvent) => alertMatch(ev, settings)?.kind ?? null, [settings]);
}

export function alertLabel(item: Pick<AlertItem, 'kind' | 'keyword' | 'diamonds'>, t: TFunction): string {
  if (item.kind === 'keyword') return t('alerts.kind.keyword', { keyword: item.keyword ?? '' });
  if (item.kind === 'gift') return t('alerts.kind.gift', { n: item.diamonds ?? 0 });
  return t('alerts.kind.question');
}

const SHOWN = 50;

/** The alerts of this window, newest first, with the on/off and sound switches. */
export function AlertsPanel() {
  const t = useT();
  const items = useAlerts((s) => s.items);
  const settings = useAlerts((s) => s.settings);
  const update = useAlerts((s) => s.update);
  const clearItems = useAlerts((s) => s.clearItems);
  const shown = useMemo(() => items.slice(0, SHOWN), [items]);

  return (
    <Card
      title={t('alerts.title')}
      titleId="alerts-title"
      actions={
        <>
          <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-300">
            <input type="checkbox" role="switch" checked={settings.enabled} onChange={(e) => update({ enabled: e.target.checked })} data-testid="alerts-toggle" />
            {t('alerts.on')}
          </label>
          <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-300">
            <input type="checkbox" checked={settings.sound} onChange={(e) => update({ sound: e.target.checked })} data-testid="alerts-sound" />
            {t('alerts.sound')}
          </label>
          <Button size="sm" variant="ghost" onClick={clearItems} disabled={items.length === 0}>
            {t('alerts.clear')}
          </Button>
        </>
      }
    >
      {shown.length === 0 ? (
        <p className="text-sm text-slate-500">{t('alerts.empty')}</p>
      ) : (
        <ul className="max-h-56 space-y-1 overflow-auto" aria-labelledby="alerts-title" data-testid="alerts-list">
          {shown.map((a) => (
            <li key={a.id} className={`flex items-baseline gap-2 rounded px-2 py-1 text-sm ${ALERT_CLASS[a.kind]}`} data-testid="alert-item" data-kind={a.kind}>
              <time className="shrink-0 font-mono text-xs tabular-nums text-slate-500">{formatClock(a.ts)}</time>
              <span className="shrink-0 text-xs font-semibold">{alertLabel(a, t)}</span>
              <span className="max-w-[10em] shrink-0 truncate font-medium">{a.name}</span>
              <span className="min-w-0 truncate">{a.text}</span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
