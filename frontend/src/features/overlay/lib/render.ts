import type { LiveEvent } from '@/types/events';
import { createModel, type OverlayModel, type OverlayRow } from './rows';
import { styleVariables, type OverlayKind, type OverlayStyle } from './style';

/**
 * Draws one overlay kind into an element: the OBS page and the style editor's live preview both use it.
 *
 * Events are buffered by `push` and applied once per `frame` (the page calls it from requestAnimationFrame), so
 * 1,000 events a second cost one model pass and one small DOM update per frame: only the rows shown (`rows` of
 * the style, at most 50) ever become elements, text is set with textContent (never parsed as HTML), and rows
 * enter and leave with CSS animations of opacity and transform only (compositor work, no layout per frame).
 * The DOM changes at most every `DRAW_EVERY_MS` (10 times a second): under a flood, rows a viewer could not read
 * anyway are skipped rather than drawn, and the page keeps its frame rate; a quiet room still shows each event
 * within a tenth of a second. While a flood turns most rows over at each draw, it draws only every
 * `FLOOD_DRAW_EVERY_MS`: a row then stays long enough for its entry animation to finish and to be read, and the
 * page does a third of the style, layout and paint work. Each draw is a few milliseconds of the main thread (the
 * profile in bench/overlay_trace.py); its long tasks under load are waits for a core, so fewer draws are fewer of
 * them.
 */

export interface OverlayViewOptions {
  now?: () => number;
}

interface Drawn {
  el: HTMLElement;
  name: HTMLElement;
  text: HTMLElement;
  version: number;
}

const LEAVE_MS = 320;
export const DRAW_EVERY_MS = 100;
export const FLOOD_DRAW_EVERY_MS = 300;
const STAT_LABELS: Array<[key: 'online' | 'likes' | 'diamonds', label: string]> = [
  ['online', '在线'],
  ['likes', '点赞'],
  ['diamonds', '钻石'],
];

export class OverlayView {
  private model: OverlayModel;
  private style: OverlayStyle;
  private readonly list: HTMLElement;
  private readonly drawn = new Map<string, Drawn>();
  private readonly leaving: HTMLElement[] = [];
  private readonly statValues = new Map<string, HTMLElement>();
  private pending: LiveEvent[] = [];
  private dirty = true;
  private drawnAt = -Infinity;
  /** the last draw turned most rows over: the next waits FLOOD_DRAW_EVERY_MS */
  private flooded = false;
  private readonly now: () => number;
  /** events taken in since the start (for the page's status and the benchmark) */
  received = 0;

  constructor(
    private readonly root: HTMLElement,
    readonly kind: OverlayKind,
    style: OverlayStyle,
    { now = () => Date.now() }: OverlayViewOptions = {},
  ) {
    this.now = now;
    this.style = style;
    this.model = createModel(kind, style);
    root.classList.add('ov-root', `ov-kind-${kind}`);
    this.list = document.createElement('div');
    this.list.className = kind === 'stats' ? 'ov-stats' : 'ov-rows';
    root.appendChild(this.list);
    if (kind === 'stats') this.buildStats();
    this.applyStyle();
  }

  setStyle(style: OverlayStyle): void {
    this.style = style;
    if (this.model.kind !== 'stats') this.model.model.setStyle(style);
    this.applyStyle();
    this.dirty = true;
  }

  push(events: readonly LiveEvent[]): void {
    for (const ev of events) this.pending.push(ev);
    this.received += events.length;
  }

  /** Applies what came since the last frame, fades old rows, and updates the DOM where something changed. */
  frame(): void {
    const now = this.now();
    if (now - this.drawnAt < (this.flooded ? FLOOD_DRAW_EVERY_MS : DRAW_EVERY_MS)) return;
    const events = this.pending;
    if (events.length) this.pending = [];
    let changed = this.dirty;
    this.dirty = false;
    const m = this.model;
    if (m.kind === 'stats') {
      if (events.length && m.model.push(events)) changed = true;
    } else {
      if (events.length && m.model.push(events, now)) changed = true;
      if (m.kind === 'thanks' && m.model.tick(now)) changed = true;
      if (m.model.rows.expire(now, this.style.fade_s * 1000)) changed = true;
    }
    if (!changed) {
      this.flooded = false;
      return;
    }
    this.drawnAt = now;
    if (m.kind === 'stats') this.drawStats();
    else this.drawRows(m.model.rows.rows);
  }

  /** Rows on screen now, for tests and the page's status line. */
  get shownRows(): number {
    return this.drawn.size;
  }

  destroy(): void {
    this.root.replaceChildren();
    this.drawn.clear();
  }

  private applyStyle(): void {
    for (const [k, v] of Object.entries(styleVariables(this.style))) this.root.style.setProperty(k, v);
  }

  private drawRows(rows: readonly OverlayRow[]): void {
    const wanted = new Set<string>();
    for (const r of rows) wanted.add(r.id);
    let gone = 0;
    for (const [id, d] of this.drawn) {
      if (wanted.has(id)) continue;
      this.drawn.delete(id);
      gone += 1;
      this.leave(d.el);
    }
    // When most rows turn over in one frame (a flood), the leaving ones go at once instead of piling up.
    this.flooded = gone > Math.max(2, this.style.rows / 2);
    if (this.flooded) this.flushLeaving(0);
    for (const r of rows) {
      const d = this.drawn.get(r.id);
      if (!d) {
        this.drawn.set(r.id, this.create(r));
      } else if (d.version !== r.version) {
        d.version = r.version;
        d.name.textContent = r.name;
        d.text.textContent = r.text;
        d.el.classList.remove('ov-bump');
        void d.el.offsetWidth; // restart the bump animation
        d.el.classList.add('ov-bump');
      }
    }
  }

  private create(r: OverlayRow): Drawn {
    const el = document.createElement('div');
    el.className = `ov-row ov-k-${r.kind}`;
    el.dataset.kind = r.kind;
    const name = document.createElement('span');
    name.className = 'ov-name';
    name.textContent = r.name;
    const text = document.createElement('span');
    text.className = 'ov-text';
    text.textContent = r.text;
    el.append(name, text);
    this.list.appendChild(el);
    return { el, name, text, version: r.version };
  }

  private leave(el: HTMLElement): void {
    el.classList.add('ov-leave');
    this.leaving.push(el);
    setTimeout(() => this.flushLeaving(LEAVE_MS), LEAVE_MS + 20);
  }

  private flushLeaving(ageMs: number): void {
    if (ageMs === 0) {
      for (const el of this.leaving) el.remove();
      this.leaving.length = 0;
      return;
    }
    // Each leave schedules one flush; removing the oldest leaver each time keeps the count in step.
    const el = this.leaving.shift();
    if (el) el.remove();
  }

  private buildStats(): void {
    for (const [key, label] of STAT_LABELS) {
      const cell = document.createElement('div');
      cell.className = 'ov-stat';
      cell.dataset.stat = key;
      const l = document.createElement('span');
      l.className = 'ov-stat-label';
      l.textContent = label;
      const v = document.createElement('span');
      v.className = 'ov-stat-value';
      v.textContent = '—';
      cell.append(l, v);
      this.list.appendChild(cell);
      this.statValues.set(key, v);
    }
  }

  private drawStats(): void {
    if (this.model.kind !== 'stats') return;
    const s = this.model.model;
    const values = { online: s.online, likes: s.likes, diamonds: s.diamonds };
    for (const [key] of STAT_LABELS) {
      const el = this.statValues.get(key);
      const text = formatCount(values[key]);
      if (el && el.textContent !== text) el.textContent = text;
    }
  }
}

/** 9,999 as is; 12,345 as 1.2万; 123,456,789 as 1.2亿. */
export function formatCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  if (n < 10_000) return String(Math.round(n));
  if (n < 100_000_000) return `${(n / 10_000).toFixed(n < 100_000 ? 1 : 0)}万`;
  return `${(n / 100_000_000).toFixed(1)}亿`;
}
