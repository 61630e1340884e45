import { useCallback, useDeferredValue, useMemo, useRef, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { VirtualList } from '@/components/VirtualList';
import { FilteredIndex } from '@/lib/event-filter';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import type { LiveEvent, LiveEventType } from '@/types/events';
import { EventFilters } from './EventFilters';
import { EventRow } from './EventRow';

const ROW_HEIGHT = 28;

/**
 * Every event of the session, filtered by type and text, virtualized, pausable. `highlight` names the alert an
 * event raises (composed in by the app: the alerts feature decides), and its row is marked.
 */
export function EventStream({ highlight }: { highlight?: (ev: LiveEvent) => string | null } = {}) {
  const t = useT();
  const version = useAppStore((s) => s.liveVersion);
  const log = useAppStore((s) => s.log);
  const paused = useAppStore((s) => s.paused);
  const setPaused = useAppStore((s) => s.setPaused);
  const clearLive = useAppStore((s) => s.clearLive);
  const [types, setTypes] = useState<ReadonlySet<LiveEventType>>(new Set());
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const [follow, setFollow] = useState(true);
  const pausedAt = useRef(0);

  const indexRef = useRef<{ log: typeof log; index: FilteredIndex } | null>(null);
  if (!indexRef.current || indexRef.current.log !== log) indexRef.current = { log, index: new FilteredIndex() };
  const index = indexRef.current.index;
  const filter = useMemo(() => ({ types, query: deferredQuery }), [types, deferredQuery]);

  // while paused the view is frozen; new events keep arriving in the log
  if (!paused) {
    index.update(log, filter);
    pausedAt.current = log.nextSeq;
  }
  const count = index.length;

  const onToggle = useCallback((ty: LiveEventType) => {
    setTypes((prev) => {
      const next = new Set(prev);
      if (next.has(ty)) next.delete(ty);
      else next.add(ty);
      return next;
    });
  }, []);

  const renderRow = useCallback(
    (i: number) => {
      const ev = log.get(index.at(i) ?? -1);
      return <EventRow ev={ev} t={t} alert={ev && highlight ? highlight(ev) : null} />;
    },
    [log, index, t, highlight],
  );
  const rowKey = useCallback((i: number) => index.at(i) ?? `i${i}`, [index]);

  return (
    <Card
      title={t('monitor.stream')}
      titleId="stream-title"
      className="flex min-h-0 flex-1 flex-col"
      actions={
        <span className="text-xs text-slate-500" data-testid="stream-count">
          {t('monitor.shown', { n: count, total: log.size })}
        </span>
      }
    >
      <EventFilters
        types={types}
        counts={log.counts}
        onToggle={onToggle}
        onAll={() => setTypes(new Set())}
        query={query}
        onQuery={setQuery}
        paused={paused}
        onPause={() => setPaused(!paused)}
        onClear={clearLive}
        pendingCount={paused ? log.nextSeq - pausedAt.current : 0}
      />
      <div className="relative mt-2 min-h-0 flex-1">
        <VirtualList
          count={count}
          rowHeight={ROW_HEIGHT}
          renderRow={renderRow}
          rowKey={rowKey}
          follow={follow && !paused}
          onFollowChange={setFollow}
          label={t('monitor.stream')}
          className="h-full min-h-[240px] rounded border border-slate-100 dark:border-slate-800"
          version={version}
        />
        {!follow && !paused && (
          <Button size="sm" className="absolute bottom-3 right-4 shadow" onClick={() => setFollow(true)}>
            {t('monitor.toLatest')} ↓
          </Button>
        )}
      </div>
    </Card>
  );
}
