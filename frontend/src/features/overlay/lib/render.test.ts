import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '@/types/events';
import { DRAW_EVERY_MS, FLOOD_DRAW_EVERY_MS, formatCount, OverlayView } from './render';
import { DEFAULT_STYLE } from './style';

let n = 0;
const chat = (content: string, nickname = '观众'): LiveEvent => {
  n += 1;
  return { type: 'chat', session_id: 's', msg_id: String(n), ts: n, user: { id: `u${n}`, nickname }, data: { content } };
};

describe('OverlayView', () => {
  it('draws at most `rows` rows, as text, and applies the style', () => {
    const root = document.createElement('div');
    let now = 0;
    const view = new OverlayView(root, 'chat', { ...DEFAULT_STYLE, rows: 3, fade_s: 10 }, { now: () => now });
    view.push([chat('<img src=x onerror=alert(1)>', '<b>坏人</b>'), chat('二'), chat('三'), chat('四')]);
    expect(root.querySelectorAll('.ov-row')).toHaveLength(0); // nothing before the frame
    view.frame();
    const rows = [...root.querySelectorAll('.ov-row:not(.ov-leave)')];
    expect(rows.map((r) => r.querySelector('.ov-text')?.textContent)).toEqual(['二', '三', '四']);
    expect(root.querySelector('img')).toBeNull();
    expect(view.shownRows).toBe(3);
    view.push(Array.from({ length: 1000 }, (_, i) => chat(`flood ${i}`)));
    now = 50; // within DRAW_EVERY_MS of the last draw: the DOM waits
    view.frame();
    expect(root.querySelector('.ov-row:not(.ov-leave) .ov-text')?.textContent).toBe('二');
    now = 100;
    view.frame();
    expect(root.querySelectorAll('.ov-row:not(.ov-leave)')).toHaveLength(3);
    expect(root.querySelector('.ov-row:not(.ov-leave) .ov-text')?.textContent).toBe('flood 997');
    expect(root.querySelectorAll('.ov-row').length).toBeLessThanOrEqual(6);
    now = 11_000; // past fade_s: every row leaves
    view.frame();
    expect(root.querySelectorAll('.ov-row:not(.ov-leave)')).toHaveLength(0);
    view.setStyle({ ...DEFAULT_STYLE, font_size: 40, text_color: '#00ff00' });
    expect(root.style.getPropertyValue('--ov-font-size')).toBe('40px');
    expect(root.style.getPropertyValue('--ov-text')).toBe('#00ff00');
  });

  it('draws less often while a flood turns the rows over, and at the usual pace once it calms', () => {
    const root = document.createElement('div');
    let now = 0;
    const view = new OverlayView(root, 'chat', { ...DEFAULT_STYLE, rows: 8, fade_s: 0 }, { now: () => now });
    const newest = () => [...root.querySelectorAll('.ov-row:not(.ov-leave) .ov-text')].pop()?.textContent;
    const flood = (tag: string) => view.push(Array.from({ length: 100 }, (_, i) => chat(`${tag} ${i}`)));
    flood('a');
    view.frame(); // all 8 rows new, none gone: not a flood yet
    flood('b');
    now = DRAW_EVERY_MS;
    view.frame(); // 8 rows gone at once: a flood
    expect(newest()).toBe('b 99');
    flood('c');
    now += DRAW_EVERY_MS;
    view.frame();
    expect(newest()).toBe('b 99'); // the flood's pace: not yet
    now = DRAW_EVERY_MS + FLOOD_DRAW_EVERY_MS;
    view.frame();
    expect(newest()).toBe('c 99');
    expect(root.querySelectorAll('.ov-row:not(.ov-leave)')).toHaveLength(8);
    now += FLOOD_DRAW_EVERY_MS; // the room calms: nothing new at the next look, then one comment
    view.frame();
    view.push([chat('quiet')]);
    now += DRAW_EVERY_MS;
    view.frame();
    expect(newest()).toBe('quiet'); // one comment turns one row over: the usual pace again
    view.push([chat('again')]);
    now += DRAW_EVERY_MS;
    view.frame();
    expect(newest()).toBe('again');
  });

  it('shows the stats as three figures', () => {
    const root = document.createElement('div');
    const view = new OverlayView(root, 'stats', DEFAULT_STYLE);
    view.push([{ type: 'room_stats', session_id: 's', ts: 1, data: { online: 23456 } }]);
    view.frame();
    expect(root.querySelector('[data-stat="online"] .ov-stat-value')?.textContent).toBe('2.3万');
    expect(root.querySelector('[data-stat="likes"] .ov-stat-value')?.textContent).toBe('0');
  });

  it('formats counts the Chinese way', () => {
    expect([formatCount(9999), formatCount(12345), formatCount(1_234_567), formatCount(null)]).toEqual([
      '9999',
      '1.2万',
      '123万',
      '—',
    ]);
  });
});
