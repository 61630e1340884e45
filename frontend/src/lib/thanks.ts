import type { GiftEvent, LiveEvent } from '@/types/events';

/**
 * The thank-you board (感谢榜): each gift is thanked once its combo has ended ("感谢 X 送出 小心心 ×66"), and one
 * viewer's gifts that end within a short window are merged into one thank-you ("… 小心心 ×66、玫瑰 ×3").
 *
 * A combo is one viewer's run of one gift (docs/protocol/douyin.md §5: one `group_id`, cumulative counts, a last
 * message with `repeat_end`). It ends on that last message, or when no message came for `comboIdleMs` (the closing
 * message can be lost). Its size is the sum of the events' `delta` (gifts newly sent, bundles counted), so a
 * duplicate or the closing summary adds nothing. A message for an ended combo with a new `delta` (group id 0 is
 * reused by Douyin for a new send) starts the next combo of that key.
 *
 * Shared by the desktop panel and the `thanks` overlay; plain TypeScript, no DOM. Memory is bounded: open combos,
 * ended-combo marks and the thank-yous kept all have caps. Time is passed in (`now`), never read.
 */

export interface ThankGift {
  giftId: string;
  giftName: string;
  count: number;
  diamonds: number;
}

export interface Thank {
  /** stable while the thank-you grows by merging */
  id: string;
  userId: string;
  name: string;
  gifts: ThankGift[];
  diamonds: number;
  /** when it was first shown, and last grown (the `now` of those moments) */
  createdAt: number;
  updatedAt: number;
  /** bumped on each merge, so a view knows to redraw */
  version: number;
}

export interface ThankBoardOptions {
  /** a combo with no message for this long has ended */
  comboIdleMs?: number;
  /** one viewer's combos ending within this long of their thank-you join it */
  mergeWindowMs?: number;
  /** thank-yous kept (oldest dropped) */
  capacity?: number;
}

interface OpenCombo {
  key: string;
  userId: string;
  name: string;
  giftId: string;
  giftName: string;
  count: number;
  diamondEach: number;
  lastAt: number;
}

const MAX_OPEN = 2000;
const MAX_ENDED = 5000;
const NAME_MAX = 24;

export class ThankBoard {
  readonly comboIdleMs: number;
  mergeWindowMs: number;
  readonly capacity: number;
  /** oldest first */
  readonly thanks: Thank[] = [];
  private readonly open = new Map<string, OpenCombo>();
  /** combos that ended, so their closing copies and duplicates add nothing (insertion order = age) */
  private readonly ended = new Set<string>();
  private seq = 0;

  constructor({ comboIdleMs = 3000, mergeWindowMs = 5000, capacity = 50 }: ThankBoardOptions = {}) {
    this.comboIdleMs = comboIdleMs;
    this.mergeWindowMs = mergeWindowMs;
    this.capacity = Math.max(1, capacity);
  }

  /** Feeds events (anything but gifts is ignored); returns whether a thank-you was added or grew. */
  push(events: readonly LiveEvent[], now: number): boolean {
    let changed = false;
    for (const ev of events) if (ev.type === 'gift') changed = this.gift(ev, now) || changed;
    return changed;
  }

  /** Ends the combos idle for `comboIdleMs`; returns whether a thank-you was added or grew. */
  tick(now: number): boolean {
    let changed = false;
    for (const combo of this.open.values()) {
      if (now - combo.lastAt >= this.comboIdleMs) changed = this.close(combo, now) || changed;
    }
    return changed;
  }

  /** Combos still running (not thanked yet), for a "正在连击" hint. */
  get running(): number {
    return this.open.size;
  }

  private gift(ev: GiftEvent, now: number): boolean {
    const d = ev.data;
    const userId = ev.user?.masked ? '' : ev.user?.id ?? '';
    const name = clipText(ev.user?.nickname || '匿名观众', NAME_MAX);
    const giftId = String(d.gift_id ?? '');
    // A masked viewer has no id of their own: their gifts are keyed by message so two of them never merge.
    const who = userId || `masked:${ev.msg_id ?? this.seq + 1}`;
    const key = `${ev.session_id}:${who}:${giftId}:${d.group_id ?? ''}`;
    const delta = Math.max(0, Number(d.delta) || 0);
    const end = Boolean(d.repeat_end);
    let combo = this.open.get(key);
    if (!combo) {
      if (delta === 0) return false; // a closing copy or a duplicate of an ended combo, or nothing sent
      this.ended.delete(key);
      combo = {
        key,
        userId,
        name,
        giftId,
        giftName: String(d.gift_name || giftId || '礼物'),
        count: 0,
        diamondEach: Math.max(0, Number(d.diamond_count) || 0),
        lastAt: now,
      };
      this.open.set(key, combo);
      if (this.open.size > MAX_OPEN) {
        const oldest = this.open.values().next().value;
        if (oldest) this.close(oldest, now);
      }
    }
    combo.count += delta;
    combo.lastAt = now;
    return end ? this.close(combo, now) : false;
  }

  private close(combo: OpenCombo, now: number): boolean {
    this.open.delete(combo.key);
    this.ended.add(combo.key);
    if (this.ended.size > MAX_ENDED) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    if (combo.count <= 0) return false;
    const diamonds = combo.count * combo.diamondEach;
    const target = combo.userId ? this.recentOf(combo.userId, now) : undefined;
    if (target) {
      const same = target.gifts.find((g) => g.giftId === combo.giftId && g.giftName === combo.giftName);
      if (same) {
        same.count += combo.count;
        same.diamonds += diamonds;
      } else {
        target.gifts.push({ giftId: combo.giftId, giftName: combo.giftName, count: combo.count, diamonds });
      }
      target.diamonds += diamonds;
      target.updatedAt = now;
      target.version += 1;
      return true;
    }
    this.seq += 1;
    this.thanks.push({
      id: `t${this.seq}`,
      userId: combo.userId,
      name: combo.name,
      gifts: [{ giftId: combo.giftId, giftName: combo.giftName, count: combo.count, diamonds }],
      diamonds,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    if (this.thanks.length > this.capacity) this.thanks.splice(0, this.thanks.length - this.capacity);
    return true;
  }

  /** The viewer's latest thank-you, when it is recent enough to merge into. */
  private recentOf(userId: string, now: number): Thank | undefined {
    for (let i = this.thanks.length - 1; i >= 0; i -= 1) {
      const t = this.thanks[i];
      if (!t) continue;
      if (t.userId === userId) return now - t.updatedAt <= this.mergeWindowMs ? t : undefined;
    }
    return undefined;
  }
}

/** "感谢 X 送出 小心心 ×66、玫瑰 ×3" */
export function thankText(t: Thank): string {
  return `感谢 ${t.name} 送出 ${giftsText(t)}`;
}

export function giftsText(t: Thank): string {
  return t.gifts.map((g) => `${g.giftName} ×${g.count}`).join('、');
}

/** At most `max` characters, counted as the reader sees them (an emoji is one), with "…" when cut. */
export function clipText(text: string, max: number): string {
  const chars = Array.from(text.replace(/[\u0000-\u001f\u007f]/g, ' '));
  return chars.length <= max ? chars.join('') : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}
