/**
 * The overlay's style, as the gateway stores it with each key (docs/contracts.md, Overlay; `OverlayStyle` in
 * services/gateway/overlay.py). The style editor edits these fields; the overlay page applies them as CSS variables.
 */

export type OverlayKind = 'chat' | 'gifts' | 'stats' | 'thanks';
export const OVERLAY_KINDS: readonly OverlayKind[] = ['chat', 'gifts', 'stats', 'thanks'];

export type ShownEvent = 'chat' | 'gift' | 'follow' | 'fansclub' | 'member' | 'like';
export const SHOWN_EVENTS: readonly ShownEvent[] = ['chat', 'gift', 'follow', 'fansclub', 'member', 'like'];

export interface OverlayStyle {
  font_size: number;
  text_color: string;
  name_color: string;
  accent_color: string;
  row_color: string;
  row_opacity: number;
  rows: number;
  fade_s: number;
  events: ShownEvent[];
  thanks_window_s: number;
}

export const DEFAULT_STYLE: OverlayStyle = {
  font_size: 26,
  text_color: '#ffffff',
  name_color: '#ffd54f',
  accent_color: '#ff7aa8',
  row_color: '#000000',
  row_opacity: 0.35,
  rows: 8,
  fade_s: 30,
  events: ['chat', 'gift', 'follow', 'fansclub'],
  thanks_window_s: 5,
};

export const STYLE_LIMITS = {
  font_size: [10, 96],
  rows: [1, 50],
  fade_s: [0, 3600],
  thanks_window_s: [1, 60],
} as const;

const COLOUR = /^#[0-9a-fA-F]{6}$/;

function bounded(value: unknown, [lo, hi]: readonly [number, number], fallback: number): number {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
}

/** A style from the wire or the editor, every field checked (an unknown or bad one takes the default). */
export function normaliseStyle(raw: unknown): OverlayStyle {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const colour = (k: 'text_color' | 'name_color' | 'accent_color' | 'row_color') =>
    typeof r[k] === 'string' && COLOUR.test(r[k] as string) ? (r[k] as string) : DEFAULT_STYLE[k];
  const opacity = Number(r.row_opacity);
  const events = Array.isArray(r.events)
    ? SHOWN_EVENTS.filter((e) => (r.events as unknown[]).includes(e))
    : DEFAULT_STYLE.events;
  return {
    font_size: bounded(r.font_size, STYLE_LIMITS.font_size, DEFAULT_STYLE.font_size),
    text_color: colour('text_color'),
    name_color: colour('name_color'),
    accent_color: colour('accent_color'),
    row_color: colour('row_color'),
    row_opacity: Number.isFinite(opacity) ? Math.min(1, Math.max(0, opacity)) : DEFAULT_STYLE.row_opacity,
    rows: bounded(r.rows, STYLE_LIMITS.rows, DEFAULT_STYLE.rows),
    fade_s: bounded(r.fade_s, STYLE_LIMITS.fade_s, DEFAULT_STYLE.fade_s),
    events,
    thanks_window_s: bounded(r.thanks_window_s, STYLE_LIMITS.thanks_window_s, DEFAULT_STYLE.thanks_window_s),
  };
}

/** The style as CSS custom properties on the overlay's root element. */
export function styleVariables(style: OverlayStyle): Record<string, string> {
  const hex = style.row_color.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return {
    '--ov-font-size': `${style.font_size}px`,
    '--ov-text': style.text_color,
    '--ov-name': style.name_color,
    '--ov-accent': style.accent_color,
    '--ov-row-bg': `rgba(${r}, ${g}, ${b}, ${style.row_opacity})`,
  };
}
