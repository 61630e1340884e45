/**
 * The OBS browser source page: `/overlay/{kind}?key=…` (docs/obs-overlay.md). Plain TypeScript built to ES2020,
 * no React and no Electron API, so OBS's embedded Chromium runs it as it is.
 *
 * It knows only its overlay key (from its own address) and opens the gateway's read-only stream
 * `/overlay/ws?key=…`: the first message is the key's style, then arrays of live events, and a new style whenever
 * it is saved in the app. The API token never reaches this page. A refused key (4401, 4403) stops it with a short
 * notice; anything else (the gateway restarting) reconnects with backoff.
 */
import '../lib/overlay.css';
import { exponentialBackoff } from '@/lib/backoff';
import { parseLiveEvent, type LiveEvent } from '@/types/events';
import { OverlayView } from '../lib/render';
import { DEFAULT_STYLE, normaliseStyle, OVERLAY_KINDS, type OverlayKind } from '../lib/style';

const CLOSE_NO_KEY = 4401;
const CLOSE_REVOKED = 4403;

function kindFromPath(path: string): OverlayKind {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  return (OVERLAY_KINDS as readonly string[]).includes(last) ? (last as OverlayKind) : 'chat';
}

const root = document.getElementById('overlay') as HTMLElement;
const kind = kindFromPath(location.pathname);
const key = new URLSearchParams(location.search).get('key') ?? '';
const view = new OverlayView(root, kind, DEFAULT_STYLE);
const retry = exponentialBackoff({ baseMs: 500, maxMs: 10_000 });
let attempt = 0;
let status: HTMLElement | null = null;

function notice(text: string | null): void {
  if (text === null) {
    status?.remove();
    status = null;
    return;
  }
  if (!status) {
    status = document.createElement('div');
    status.className = 'ov-status';
    document.body.appendChild(status);
  }
  status.textContent = text;
}

function onMessage(data: unknown): void {
  if (typeof data !== 'string') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return;
  }
  if (Array.isArray(parsed)) {
    const events: LiveEvent[] = [];
    for (const raw of parsed) {
      const ev = parseLiveEvent(raw);
      if (ev) events.push(ev);
    }
    view.push(events);
    return;
  }
  const msg = parsed as { type?: unknown; style?: unknown };
  if (msg && msg.type === 'overlay_style') view.setStyle(normaliseStyle(msg.style));
}

function connect(): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/overlay/ws?key=${encodeURIComponent(key)}`;
  const ws = new WebSocket(url);
  ws.onopen = () => {
    attempt = 0;
    notice(null);
    document.documentElement.dataset.state = 'open';
  };
  ws.onmessage = (ev: MessageEvent) => onMessage(ev.data);
  ws.onclose = (ev: CloseEvent) => {
    if (ev.code === CLOSE_NO_KEY || ev.code === CLOSE_REVOKED) {
      document.documentElement.dataset.state = 'refused';
      notice(ev.code === CLOSE_REVOKED ? '叠加层密钥已撤销，请在提猫直播助手里新建一个' : '叠加层密钥无效');
      return;
    }
    document.documentElement.dataset.state = 'reconnecting';
    attempt += 1;
    setTimeout(connect, retry(attempt, attempt));
  };
}

let shownReceived = -1;
function loop(): void {
  view.frame();
  if (view.received !== shownReceived) {
    // For a look from outside (the tests, the benchmark): events taken in, rows on screen.
    shownReceived = view.received;
    root.dataset.received = String(view.received);
    root.dataset.rows = String(view.shownRows);
  }
  requestAnimationFrame(loop);
}

if (!key) {
  notice('地址缺少叠加层密钥 (?key=…)');
} else {
  connect();
  requestAnimationFrame(loop);
}
