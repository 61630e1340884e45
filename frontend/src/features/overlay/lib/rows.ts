import type { LiveEvent } from '@/types/events';
import { clipText, giftsText, ThankBoard } from '@/lib/thanks';
import type { OverlayKind, OverlayStyle, ShownEvent } from './style';

/**
 * What each overlay kind shows, as plain data (no DOM): bounded rows for `chat`, `gifts` and `thanks`, three
 * figures for `stats`. The page and the style editor's preview draw these with `OverlayView` (render.ts).
 */

export type RowKind = 'chat' | 'gift' | 'follow' | 'fansclub' | 'member' | 'like' | 'thanks';

export interface OverlayRow {
  id: string;
  kind: RowKind;
  name: string;
  text: string;
  /** when it came or last changed: a row fades `fade_s` after this */
  at: number;
  /** bumped on each change, so a view redraws only what changed */
  version: number;
}

export const NAME_MAX = 16;
export const TEXT_MAX = 80;

/** At most `cap` rows, oldest first; a row is updated in place by id (a growing combo keeps its place). */
export class BoundedRows {
  private cap: number;
  readonly rows: OverlayRow[] = [];
  private readonly byId = new Map<string, OverlayRow>();

  constructor(cap: number) {
    this.cap = Math.max(1, Math.floor(cap));
  }

  get capacity(): number {
    return this.cap;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Adds a row, or updates the one with its id; drops the oldest beyond the cap. */
  upsert(row: Omit<OverlayRow, 'version'>): void {
    const old = this.byId.get(row.id);
    if (old) {
      old.name = row.name;
      old.text = row.text;
      old.at = row.at;
      old.version += 1;
      return;
    }
    const added = { ...row, version: 1 };
    this.rows.push(added);
    this.byId.set(added.id, added);
    this.trim();
  }

  setCapacity(cap: number): void {
    this.cap = Math.max(1, Math.floor(cap));
    this.trim();
  }

  /** Drops rows older than `fadeMs` (0: never); returns whether any went. */
  expire(now: number, fadeMs: number): boolean {
    if (fadeMs <= 0) return false;
    // Not quite in time order (an updated combo moves its time on), so every row is looked at: there are few.
    const keep = this.rows.filter((r) => now - r.at <= fadeMs);
    if (keep.length === this.rows.length) return false;
    this.byId.clear();
    for (const r of keep) this.byId.set(r.id, r);
    this.rows.splice(0, this.rows.length, ...keep);
    return true;
  }

  clear(): void {
    this.rows.length = 0;
    this.byId.clear();
  }

  private trim(): void {
    while (this.rows.length > this.cap) {
      const gone = this.rows.shift();
      if (gone) this.byId.delete(gone.id);
    }
  }
}

interface ComboMark {
  rowId: string;
  count: number;
  ended: boolean;
}

const MAX_COMBOS = 2000;

/** `chat` (comments, gifts merged by combo, follows, fan club…) and `gifts` (a thank-you ticker). */
export class FeedModel {
  readonly rows: BoundedRows;
  private shown: Set<ShownEvent>;
  private readonly combos = new Map<string, ComboMark>();
  private seq = 0;

  constructor(
    readonly kind: 'chat' | 'gifts',
    style: OverlayStyle,
  ) {
    this.rows = new BoundedRows(style.rows);
    this.shown = new Set(style.events);
  }

  setStyle(style: OverlayStyle): void {
    this.rows.setCapacity(style.rows);
    this.shown = new Set(style.events);
  }

  /** Returns whether a row was added or changed. */
  push(events: readonly LiveEvent[], now: number): boolean {
    // Under a flood only the newest rows can stay: once `capacity` newer events each make a row of their own, an
    // older event's row would be dropped in the same call, so it is not built (gifts still count their combo).
    let skipBefore = 0;
    let newer = 0;
    for (let i = events.length - 1; i >= 0; i -= 1) {
      if (this.makesOwnRow(events[i] as LiveEvent) && ++newer >= this.rows.capacity) {
        skipBefore = i;
        break;
      }
    }
    let changed = false;
    for (let i = 0; i < events.length; i += 1) {
      const ev = events[i] as LiveEvent;
      if (i >= skipBefore) changed = this.one(ev, now) || changed;
      else if (ev.type === 'gift') this.countOnly(ev);
    }
    return changed;
  }

  private makesOwnRow(ev: LiveEvent): boolean {
    if (this.kind === 'gifts' || ev.type === 'gift') return false; // a gift may only grow an existing row
    const kind = ev.type === 'emoji_chat' ? 'chat' : ev.type;
    return this.shown.has(kind as ShownEvent) && (kind !== 'chat' || String((ev.data as { content?: unknown }).content ?? '').trim() !== '');
  }

  /** A gift whose row would not stay: keep its combo's count right for the messages that follow. */
  private countOnly(ev: Extract<LiveEvent, { type: 'gift' }>): void {
    const key = this.comboKey(ev);
    const delta = Math.max(0, Number(ev.data.delta) || 0);
    let mark = this.combos.get(key);
    if (!mark || mark.ended) {
      if (delta === 0) return;
      this.seq += 1;
      mark = { rowId: `g${this.seq}`, count: 0, ended: false };
      this.remember(key, mark);
    }
    mark.count += delta;
    mark.ended = Boolean(ev.data.repeat_end);
  }

  private comboKey(ev: Extract<LiveEvent, { type: 'gift' }>): string {
    const d = ev.data;
    const who = ev.user?.masked || !ev.user?.id ? `m${ev.msg_id ?? this.seq}` : ev.user.id;
    return `${ev.session_id}:${who}:${String(d.gift_id ?? '')}:${String(d.group_id ?? '')}`;
  }

  private remember(key: string, mark: ComboMark): void {
    this.combos.delete(key);
    this.combos.set(key, mark);
    if (this.combos.size > MAX_COMBOS) {
      const oldest = this.combos.keys().next().value;
      if (oldest !== undefined) this.combos.delete(oldest);
    }
  }

  private one(ev: LiveEvent, now: number): boolean {
    const name = clipText(ev.user?.nickname || '匿名观众', NAME_MAX);
    if (ev.type === 'gift') return this.gift(ev, name, now);
    if (this.kind === 'gifts') return false;
    let kind: RowKind;
    let text: string;
    switch (ev.type) {
      case 'chat':
      case 'emoji_chat':
        kind = 'chat';
        text = String(ev.data.content ?? '');
        break;
      case 'follow':
        kind = 'follow';
        text = '关注了主播';
        break;
      case 'fansclub':
        kind = 'fansclub';
        text = String(ev.data.content || '加入了粉丝团');
        break;
      case 'member':
        kind = 'member';
        text = '来了';
        break;
      case 'like':
        kind = 'like';
        text = `点赞 ×${Math.max(1, Number(ev.data.count) || 1)}`;
        break;
      default:
        return false;
    }
    if (!this.shown.has(kind as ShownEvent) || !text.trim()) return false;
    this.seq += 1;
    this.rows.upsert({ id: `r${this.seq}`, kind, name, text: clipText(text, TEXT_MAX), at: now });
    return true;
  }

  private gift(ev: Extract<LiveEvent, { type: 'gift' }>, name: string, now: number): boolean {
    if (this.kind === 'chat' && !this.shown.has('gift')) return false;
    const d = ev.data;
    const key = this.comboKey(ev);
    const delta = Math.max(0, Number(d.delta) || 0);
    let mark = this.combos.get(key);
    if (!mark || mark.ended) {
      if (delta === 0) return false; // a closing copy of an ended combo, or a duplicate
      this.seq += 1;
      mark = { rowId: `g${this.seq}`, count: 0, ended: false };
      this.remember(key, mark);
    }
    mark.count += delta;
    mark.ended = Boolean(d.repeat_end);
    if (delta === 0 && this.rows.has(mark.rowId)) return false;
    const gift = clipText(String(d.gift_name || d.gift_id || '礼物'), 20);
    const text = this.kind === 'gifts' ? `感谢 ${name} 送出 ${gift} ×${mark.count}` : `送出 ${gift} ×${mark.count}`;
    this.rows.upsert({ id: mark.rowId, kind: 'gift', name, text, at: now });
    return true;
  }
}

/** `thanks`: the thank-you board as rows (each thank-you once its combos ended, merged per viewer). */
export class ThanksModel {
  readonly board: ThankBoard;
  readonly rows: BoundedRows;

  constructor(style: OverlayStyle) {
    this.board = new ThankBoard({ mergeWindowMs: style.thanks_window_s * 1000, capacity: 50 });
    this.rows = new BoundedRows(style.rows);
  }

  setStyle(style: OverlayStyle): void {
    this.board.mergeWindowMs = style.thanks_window_s * 1000;
    this.rows.setCapacity(style.rows);
  }

  push(events: readonly LiveEvent[], now: number): boolean {
    return this.sync(this.board.push(events, now));
  }

  tick(now: number): boolean {
    return this.sync(this.board.tick(now));
  }

  private sync(changed: boolean): boolean {
    if (!changed) return false;
    for (const t of this.board.thanks.slice(-this.rows.capacity)) {
      const text = `送出 ${clipText(giftsText(t), TEXT_MAX)}`;
      const row = this.rows.rows.find((r) => r.id === t.id);
      if (!row || row.text !== text) this.rows.upsert({ id: t.id, kind: 'thanks', name: t.name, text, at: t.updatedAt });
    }
    return true;
  }
}

/** `stats`: viewers now, likes and diamonds of the show. */
export class StatsModel {
  online: number | null = null;
  likes = 0;
  diamonds = 0;
  private ownDiamonds = 0;

  push(events: readonly LiveEvent[]): boolean {
    let changed = false;
    for (const ev of events) {
      switch (ev.type) {
        case 'room_stats': {
          const online = Number(ev.data.online);
          if (Number.isFinite(online) && online !== this.online) {
            this.online = online;
            changed = true;
          }
          break;
        }
        case 'like': {
          const total = Number(ev.data.total);
          const next = Number.isFinite(total) && total > this.likes ? total : this.likes + (Number(ev.data.count) || 0);
          changed = changed || next !== this.likes;
          this.likes = next;
          break;
        }
        case 'gift': {
          const add = (Number(ev.data.delta) || 0) * (Number(ev.data.diamond_count) || 0);
          if (add > 0) {
            this.ownDiamonds += add;
            this.diamonds = Math.max(this.diamonds, this.ownDiamonds);
            changed = true;
          }
          break;
        }
        case 'stats': {
          // The gateway's totals cover the whole show, also before this page was opened.
          const t = ev.data.totals ?? {};
          const diamonds = Number(t.diamonds);
          const likes = Number(t.likes);
          const online = t.online == null ? NaN : Number(t.online);
          if (Number.isFinite(diamonds) && diamonds > this.diamonds) (this.diamonds = diamonds), (changed = true);
          if (Number.isFinite(likes) && likes > this.likes) (this.likes = likes), (changed = true);
          if (this.online === null && Number.isFinite(online)) (this.online = online), (changed = true);
          break;
        }
        default:
          break;
      }
    }
    return changed;
  }
}

export type OverlayModel =
  | { kind: 'chat' | 'gifts'; model: FeedModel }
  | { kind: 'thanks'; model: ThanksModel }
  | { kind: 'stats'; model: StatsModel };

export function createModel(kind: OverlayKind, style: OverlayStyle): OverlayModel {
  switch (kind) {
    case 'thanks':
      return { kind, model: new ThanksModel(style) };
    case 'stats':
      return { kind, model: new StatsModel() };
    default:
      return { kind, model: new FeedModel(kind, style) };
  }
}
