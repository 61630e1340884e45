import { describe, expect, it } from 'vitest';
import { LiveLog } from '../live-log';
import { FilteredIndex } from '../event-filter';
import { chat, gift, roomStats, showStats } from '@/testing/fake-api';

describe('LiveLog', () => {
  it('keeps at most `capacity` events, oldest evicted', () => {
    const log = new LiveLog(3);
    log.append([chat('a'), chat('b'), chat('c'), chat('d')]);
    expect(log.size).toBe(3);
    expect(log.firstSeq).toBe(1);
    expect(log.get(0)).toBeUndefined();
    expect(log.get(3)?.type).toBe('chat');
    expect(log.counts.chat).toBe(4);
  });

  it('keeps the gateway\'s stats per session, outside the feed', () => {
    const log = new LiveLog(10);
    expect(log.showTotal('diamonds')).toBeNull();
    expect(log.append([chat('a'), showStats({ diamonds: 100, comments: 5 }), showStats({ diamonds: 50 }, 's2')])).toBe(3);
    expect(log.size).toBe(1);
    expect(log.showTotal('diamonds')).toBe(150);
    log.append([showStats({ diamonds: 120, comments: 6 })]); // the newer message replaces the session's totals
    expect(log.showTotal('diamonds')).toBe(170);
    expect(log.showTotal('comments')).toBe(6);
  });

  it('drops duplicates by message id', () => {
    const log = new LiveLog(10);
    const e = chat('same');
    expect(log.append([e, e])).toBe(1);
    expect(log.duplicates).toBe(1);
  });

  it('counts each gift once by delta and tracks combos', () => {
    const log = new LiveLog(10);
    log.append([
      gift({ repeat: 1, delta: 1, diamonds: 10 }),
      gift({ repeat: 2, delta: 1, diamonds: 10 }),
      gift({ repeat: 3, delta: 1, diamonds: 10, end: true }),
    ]);
    expect(log.giftsTotal).toBe(3);
    expect(log.diamondsTotal).toBe(30);
    const lastTs = log.get(log.nextSeq - 1)!.ts;
    expect(log.activeCombos(lastTs + 100).map((c) => c.count)).toEqual([3]);
    expect(log.activeCombos(lastTs + 10_000)).toEqual([]);
    const [c] = [...log.combos.values()];
    expect(c).toMatchObject({ count: 3, ended: true, giftName: '玫瑰' });
  });

  it('keeps the viewer series from room_stats', () => {
    const log = new LiveLog(10);
    log.append([roomStats(100), roomStats(120)]);
    expect(log.online).toBe(120);
    expect(log.viewers.map((p) => p.online)).toEqual([100, 120]);
  });

  // How fast is bench/ui_bench.mjs's question; a timed assertion here only flakes on a loaded machine.
  it('appends 150,000 events into a 100,000 ring, keeping the newest', () => {
    const log = new LiveLog(100_000);
    const batch = Array.from({ length: 150_000 }, (_, i) => chat(`m${i}`));
    expect(log.append(batch)).toBe(150_000);
    expect(log.size).toBe(100_000);
    expect(log.get(log.firstSeq)).toBe(batch[50_000]);
    expect(log.get(log.nextSeq - 1)).toBe(batch[149_999]);
  });
});

describe('FilteredIndex', () => {
  it('filters by type and text incrementally and trims evicted events', () => {
    const log = new LiveLog(5);
    const idx = new FilteredIndex();
    const f = { types: new Set(['chat' as const]), query: '价格' };
    log.append([chat('价格多少'), gift({}), chat('你好')]);
    idx.update(log, f);
    expect(idx.length).toBe(1);
    log.append([chat('什么价格'), chat('a'), chat('b'), chat('c')]);
    idx.update(log, f);
    // the first match was evicted (capacity 5), the second is kept
    expect(idx.length).toBe(1);
    expect(log.get(idx.at(0)!)?.type).toBe('chat');
  });

  it('rebuilds on a filter change and matches nicknames case-insensitively', () => {
    const log = new LiveLog(100);
    log.append([chat('x', 'Alice'), chat('y', 'bob')]);
    const idx = new FilteredIndex();
    idx.update(log, { types: new Set(), query: '' });
    expect(idx.length).toBe(2);
    idx.update(log, { types: new Set(), query: 'ALI' });
    expect(idx.length).toBe(1);
  });
});
