export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100_000_000) return `${(n / 100_000_000).toFixed(1)}亿`;
  if (Math.abs(n) >= 10_000) return `${(n / 10_000).toFixed(1)}万`;
  return String(n);
}

/** Timestamps from the backend may be ms numbers, second numbers, or ISO strings. */
export function toMillis(v: number | string | null | undefined): number | null {
  if (v == null || v === '') return null;
  if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
  const n = Number(v);
  if (Number.isFinite(n)) return n < 1e12 ? n * 1000 : n;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** A Douyin room: a bare id or a live.douyin.com URL gives the id; text holding another Douyin link (share text
 * copied from the app, a www.douyin.com live or profile URL) is sent whole, for the server to follow
 * (docs/protocol/douyin.md §1.6); null for anything else. */
export function parseLiveId(input: string): string | null {
  const s = input.trim();
  if (!s || s.length > 2000) return null;
  if (/^[A-Za-z0-9_-]{1,64}$/.test(s)) return s;
  const live = /^(?:https?:\/\/)?live\.douyin\.com\/([A-Za-z0-9_-]{1,64})(?:[/?#]|$)/i.exec(s);
  if (live) return live[1];
  return /(?:douyin\.com|amemv\.com)\//i.test(s) ? s : null;
}
