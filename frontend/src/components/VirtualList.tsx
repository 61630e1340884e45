import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode, type UIEvent } from 'react';

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ReactNode;
  /** a stable key per row (e.g. the event's sequence number) so rows are reused, not rewritten */
  rowKey?: (index: number) => string | number;
  /** stick to the newest (last) row while true */
  follow: boolean;
  onFollowChange: (follow: boolean) => void;
  label: string;
  overscan?: number;
  className?: string;
  /** re-render trigger for rows whose content changed without `count` changing */
  version?: number;
}

/**
 * A fixed-row-height virtual list: only the rows in view (plus `overscan`) are in the DOM, so
 * 100,000 rows cost the same as 30. Keyboard: focus it and use the arrow keys, Page Up/Down,
 * Home/End (End returns to following the newest row).
 */
export function VirtualList({ count, rowHeight, renderRow, rowKey, follow, onFollowChange, label, overscan = 8, className = '' }: VirtualListProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const followRef = useRef(follow);
  followRef.current = follow;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight || 480);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 480));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const total = count * rowHeight;
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !follow) return;
    const bottom = Math.max(0, total - el.clientHeight);
    if (Math.abs(el.scrollTop - bottom) > 1) el.scrollTop = bottom;
  }, [total, follow]);

  const onScroll = useCallback(
    (e: UIEvent<HTMLDivElement>) => {
      const el = e.currentTarget;
      setScrollTop(el.scrollTop);
      const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= rowHeight;
      if (atBottom !== followRef.current) onFollowChange(atBottom);
    },
    [onFollowChange, rowHeight],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      const el = ref.current;
      if (!el) return;
      if (e.key === 'ArrowDown') el.scrollTop += rowHeight;
      else if (e.key === 'ArrowUp') el.scrollTop -= rowHeight;
      else if (e.key === 'End') {
        onFollowChange(true);
      } else return;
      e.preventDefault();
    },
    [onFollowChange, rowHeight],
  );

  const visible = Math.ceil(height / rowHeight) + 1;
  const top = follow ? Math.max(0, total - height) : scrollTop;
  const start = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const end = Math.min(count, start + visible + overscan * 2);
  const rows: ReactNode[] = [];
  for (let i = start; i < end; i++) {
    rows.push(
      <div key={rowKey ? rowKey(i) : i} role="listitem" style={{ height: rowHeight }} className="overflow-hidden">
        {renderRow(i)}
      </div>,
    );
  }

  return (
    <div
      ref={ref}
      tabIndex={0}
      role="list"
      aria-label={label}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
      className={`relative overflow-y-auto focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 ${className}`}
      style={{ contain: 'strict' }}
      data-testid="virtual-list"
    >
      <div style={{ height: total, position: 'relative', contain: 'layout style' }}>
        <div style={{ position: 'absolute', top: start * rowHeight, left: 0, right: 0, contain: 'layout paint style' }}>{rows}</div>
      </div>
    </div>
  );
}
