import { Button } from '@/components/Button';
import { inputClass } from '@/components/Field';
import { useT } from '@/hooks/use-t';
import type { LiveEventType } from '@/types/events';

export const FILTER_TYPES: readonly LiveEventType[] = ['chat', 'emoji_chat', 'gift', 'like', 'member', 'follow', 'share', 'fansclub', 'room_stats', 'control', 'transcript'];

export function EventFilters({ types, counts, onToggle, onAll, query, onQuery, paused, onPause, onClear, pendingCount }: {
  types: ReadonlySet<LiveEventType>;
  counts: Record<LiveEventType, number>;
  onToggle: (t: LiveEventType) => void;
  onAll: () => void;
  query: string;
  onQuery: (q: string) => void;
  paused: boolean;
  onPause: () => void;
  onClear: () => void;
  pendingCount: number;
}) {
  const t = useT();
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label={t('monitor.filters')}>
      <Button size="sm" variant={types.size === 0 ? 'primary' : 'secondary'} aria-pressed={types.size === 0} onClick={onAll}>
        {t('monitor.allTypes')}
      </Button>
      {FILTER_TYPES.map((ty) => (
        <Button
          key={ty}
          size="sm"
          variant={types.has(ty) ? 'primary' : 'secondary'}
          aria-pressed={types.has(ty)}
          onClick={() => onToggle(ty)}
          data-testid={`filter-${ty}`}
        >
          {t(`event.${ty}`)}
          <span className="tabular-nums opacity-70">{counts[ty] ?? 0}</span>
        </Button>
      ))}
      <input
        type="search"
        className={`${inputClass} !w-56 !py-1`}
        aria-label={t('common.search')}
        placeholder={t('monitor.searchPlaceholder')}
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        data-testid="event-search"
      />
      <Button size="sm" variant={paused ? 'primary' : 'secondary'} onClick={onPause} aria-pressed={paused} data-testid="pause-toggle">
        {paused ? t('monitor.resume') : t('monitor.pause')}
      </Button>
      <Button size="sm" variant="ghost" onClick={onClear}>
        {t('monitor.clear')}
      </Button>
      {paused && (
        <span role="status" className="text-xs text-amber-600" data-testid="paused-note">
          {t('monitor.paused', { n: pendingCount })}
        </span>
      )}
    </div>
  );
}
