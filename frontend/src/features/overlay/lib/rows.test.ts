import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '@/types/events';
import { BoundedRows, FeedModel, StatsModel, ThanksModel } from './rows';
import { DEFAULT_STYLE, normaliseStyle, styleVariables } from './style';

let n = 0;
function ev(type: string, data: Record<string, unknown>, nickname = '观众'): LiveEvent {
  n += 1;
  return { type, session_id: 's', msg_id: String(n), ts: n, user: { id: `u-${nickname}`, nickname }, data } as LiveEvent;
}
const gift = (name: string, delta: number, end = false, group = 'g') =>
  ev('gift', { gift_id: name, gift_name: name, diamond_count: 1, group_id: group, delta, repeat_end: end }, '小明');

describe('BoundedRows', () => {
  it('keeps the newest rows up to the cap, updates in place, and fades old ones', () => {
    const rows = new BoundedRows(3);
    for (let i = 0; i < 5; i += 1) rows.upsert({ id: `r${i}`, kind: 'chat', name: 'a', text: `t${i}`, at: i * 1000 });
    expect(rows.rows.map((r) => r.id)).toEqual(['r2', 'r3', 'r4']);
    rows.upsert({ id: 'r2', kind: 'chat', name: 'a', text: 'changed', at: 9000 });
    expect(rows.rows.map((r) => [r.id, r.version])).toEqual([['r2', 2], ['r3', 1], ['r4', 1]]);
    expect(rows.expire(9500, 5000)).toBe(true); // r3 (3 s) and r4 (4 s) are older than 5 s; r2 was just updated
    expect(rows.rows.map((r) => r.id)).toEqual(['r2']);
    expect(rows.expire(9500, 0)).toBe(false); // 0: never fade
    rows.setCapacity(1);
    rows.upsert({ id: 'x', kind: 'chat', name: 'a', text: 'x', at: 9600 });
    expect(rows.rows.map((r) => r.id)).toEqual(['x']);
    expect(rows.has('r2')).toBe(false);
  });

  it('stays bounded under a flood', () => {
    const feed = new FeedModel('chat', { ...DEFAULT_STYLE, rows: 8 });
    const flood = Array.from({ length: 10_000 }, (_, i) => ev('chat', { content: `第${i}条` }));
    feed.push(flood, 0);
    expect(feed.rows.rows).toHaveLength(8);
    expect(feed.rows.rows.at(-1)?.text).toBe('第9999条');
    expect(feed.rows.rows[0]?.text).toBe('第9992条');
  });

  it('counts a combo whose messages came in a flood it was not drawn in', () => {
    const feed = new FeedModel('chat', { ...DEFAULT_STYLE, rows: 2 });
    // The combo's first 10 fall among events whose rows are dropped at once; its next message still says ×15.
    feed.push([gift('小心心', 10), ...Array.from({ length: 50 }, (_, i) => ev('chat', { content: `c${i}` }))], 0);
    expect(feed.rows.rows.map((r) => r.text)).toEqual(['c48', 'c49']);
    feed.push([gift('小心心', 5)], 1);
    expect(feed.rows.rows.at(-1)?.text).toBe('送出 小心心 ×15');
  });
});

describe('FeedModel', () => {
  it('shows the chosen events, merges a gift combo into one row, and clips long text', () => {
    const feed = new FeedModel('chat', { ...DEFAULT_STYLE, events: ['chat', 'gift', 'follow'] });
    feed.push(
      [
        ev('chat', { content: '你好 🎉' }, '一个名字特别特别特别特别长的观众😀'),
        ev('member', { member_count: 1 }),
        ev('follow', {}),
        gift('小心心', 10),
        gift('小心心', 56),
        gift('小心心', 0, true),
        ev('chat', { content: 'x'.repeat(500) }),
      ],
      0,
    );
    const shown = feed.rows.rows.map((r) => [r.kind, r.text]);
    expect(shown.slice(0, 3)).toEqual([
      ['chat', '你好 🎉'],
      ['follow', '关注了主播'],
      ['gift', '送出 小心心 ×66'],
    ]);
    expect(feed.rows.rows[0]?.name).toBe('一个名字特别特别特别特别长的观…');
    expect(Array.from(feed.rows.rows[3]!.text)).toHaveLength(80);
    // The same key sends again after its combo ended: a new row.
    feed.push([gift('小心心', 1)], 1);
    expect(feed.rows.rows.at(-1)?.text).toBe('送出 小心心 ×1');
    expect(feed.rows.rows.filter((r) => r.kind === 'gift')).toHaveLength(2);
  });

  it('the gifts ticker shows only gifts, as thank-yous', () => {
    const feed = new FeedModel('gifts', DEFAULT_STYLE);
    feed.push([ev('chat', { content: 'hi' }), gift('玫瑰', 3)], 0);
    expect(feed.rows.rows.map((r) => r.text)).toEqual(['感谢 小明 送出 玫瑰 ×3']);
  });
});

describe('ThanksModel and StatsModel', () => {
  it('the thanks overlay shows a thank-you once the combo ended', () => {
    const model = new ThanksModel(DEFAULT_STYLE);
    model.push([gift('小心心', 66)], 0);
    expect(model.rows.rows).toHaveLength(0);
    expect(model.tick(3000)).toBe(true);
    expect(model.rows.rows.map((r) => [r.name, r.text])).toEqual([['小明', '送出 小心心 ×66']]);
  });

  it('stats follow viewers, likes and diamonds, taking the gateway totals when larger', () => {
    const stats = new StatsModel();
    stats.push([ev('room_stats', { online: 1234 }), ev('like', { count: 5, total: 100 }), gift('玫瑰', 3)]);
    expect([stats.online, stats.likes, stats.diamonds]).toEqual([1234, 100, 3]);
    stats.push([ev('stats', { totals: { diamonds: 5000, likes: 90 } })]);
    expect([stats.likes, stats.diamonds]).toEqual([100, 5000]);
  });
});

describe('style', () => {
  it('normalises a style from the wire and turns it into CSS variables', () => {
    const s = normaliseStyle({ rows: 500, font_size: 'x', text_color: 'red', events: ['chat', 'transcript'] });
    expect(s.rows).toBe(50);
    expect(s.font_size).toBe(DEFAULT_STYLE.font_size);
    expect(s.text_color).toBe('#ffffff');
    expect(s.events).toEqual(['chat']);
    expect(styleVariables({ ...DEFAULT_STYLE, row_color: '#102030', row_opacity: 0.5 })['--ov-row-bg']).toBe(
      'rgba(16, 32, 48, 0.5)',
    );
  });
});
