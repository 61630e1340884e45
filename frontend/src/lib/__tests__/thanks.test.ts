import { describe, expect, it } from 'vitest';
import type { GiftEvent, LiveEvent } from '@/types/events';
import { clipText, ThankBoard, thankText } from '../thanks';

let msg = 0;
function gift(
  user: { id: string; nickname: string; masked?: boolean },
  giftName: string,
  delta: number,
  opts: { end?: boolean; group?: string; giftId?: string; price?: number; session?: string } = {},
): GiftEvent {
  msg += 1;
  return {
    type: 'gift',
    session_id: opts.session ?? 's1',
    msg_id: String(msg),
    ts: 0,
    user,
    data: {
      gift_id: opts.giftId ?? giftName,
      gift_name: giftName,
      diamond_count: opts.price ?? 1,
      group_count: 1,
      combo_count: 0,
      repeat_count: 0,
      repeat_end: opts.end ? 1 : 0,
      group_id: opts.group ?? 'g1',
      delta,
    },
  };
}

const A = { id: '1001', nickname: '小明' };
const B = { id: '1002', nickname: '小红' };

describe('ThankBoard', () => {
  it('thanks a combo once, when it ends, with the whole count', () => {
    const board = new ThankBoard({ comboIdleMs: 3000 });
    // A combo: cumulative counts arrive as deltas 10, 30, 26; the closing summary and a duplicate add nothing.
    expect(board.push([gift(A, '小心心', 10), gift(A, '小心心', 30)], 0)).toBe(false);
    expect(board.thanks).toHaveLength(0);
    expect(board.running).toBe(1);
    board.push([gift(A, '小心心', 26)], 500);
    expect(board.push([gift(A, '小心心', 0, { end: true })], 600)).toBe(true);
    expect(board.push([gift(A, '小心心', 0, { end: true })], 700)).toBe(false);
    expect(board.thanks.map(thankText)).toEqual(['感谢 小明 送出 小心心 ×66']);
    expect(board.running).toBe(0);
  });

  it('ends a combo whose closing message never came after it was idle', () => {
    const board = new ThankBoard({ comboIdleMs: 3000 });
    board.push([gift(B, '玫瑰', 3, { price: 10 })], 1000);
    expect(board.tick(3999)).toBe(false);
    expect(board.tick(4000)).toBe(true);
    expect(board.thanks[0]).toMatchObject({ name: '小红', diamonds: 30 });
    expect(thankText(board.thanks[0]!)).toBe('感谢 小红 送出 玫瑰 ×3');
  });

  it("merges one viewer's gifts ending within the window, not later ones nor other viewers'", () => {
    const board = new ThankBoard({ mergeWindowMs: 5000 });
    board.push([gift(A, '小心心', 66, { end: true })], 0);
    board.push([gift(B, '玫瑰', 1, { end: true, group: 'x' })], 1000);
    board.push([gift(A, '玫瑰', 3, { end: true, group: 'g2', price: 10 })], 2000);
    board.push([gift(A, '小心心', 4, { end: true, group: 'g3' })], 4000);
    expect(board.thanks.map(thankText)).toEqual(['感谢 小明 送出 小心心 ×70、玫瑰 ×3', '感谢 小红 送出 玫瑰 ×1']);
    expect(board.thanks[0]).toMatchObject({ diamonds: 100, version: 3 });
    // Past the window (counted from the last merge): a new thank-you.
    board.push([gift(A, '小心心', 1, { end: true, group: 'g4' })], 9001);
    expect(board.thanks.map(thankText)).toHaveLength(3);
    expect(thankText(board.thanks[2]!)).toBe('感谢 小明 送出 小心心 ×1');
  });

  it('starts a new combo when an ended key sends again, and never merges masked viewers', () => {
    const board = new ThankBoard();
    board.push([gift(A, '小心心', 1, { end: true, group: '0' })], 0);
    board.push([gift(A, '小心心', 1, { end: true, group: '0' })], 100);
    expect(thankText(board.thanks[0]!)).toBe('感谢 小明 送出 小心心 ×2');
    const masked = { id: '', nickname: '神秘人', masked: true };
    board.push([gift(masked, '小心心', 1, { end: true }), gift(masked, '小心心', 1, { end: true })], 200);
    expect(board.thanks.filter((t) => t.name === '神秘人')).toHaveLength(2);
  });

  it('keeps at most `capacity` thank-yous and ignores other events', () => {
    const board = new ThankBoard({ capacity: 3, mergeWindowMs: 0 });
    const chat: LiveEvent = { type: 'chat', session_id: 's1', ts: 0, data: { content: 'hi' } };
    expect(board.push([chat], 0)).toBe(false);
    for (let i = 0; i < 10; i += 1) board.push([gift({ id: `u${i}`, nickname: `观众${i}` }, '小心心', 1, { end: true })], i);
    expect(board.thanks.map((t) => t.name)).toEqual(['观众7', '观众8', '观众9']);
  });
});

describe('clipText', () => {
  it('counts an emoji as one and marks a cut', () => {
    expect(clipText('😀😀😀', 3)).toBe('😀😀😀');
    expect(clipText('😀😀😀😀', 3)).toBe('😀😀…');
    expect(clipText('一个非常非常长的名字啊', 6)).toBe('一个非常非…');
    expect(clipText('a\nb', 5)).toBe('a b');
  });
});
