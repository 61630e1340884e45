import { exponentialBackoff, type RetryPolicy } from './backoff';
import { parseLiveEvent, type LiveEvent } from '@/types/events';

/**
 * The one WebSocket client: connects to the gateway's `/ws`, parses each text message as a live
 * event, reconnects with backoff (resuming the same session's stream), and reports its state.
 *
 * Close codes: 4401 (bad token) stops and reports `unauthorized`; 1013 (we were too slow) and any
 * network drop reconnect. The attempt counter resets on the first message after a (re)connect.
 */

export type WsState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'closed';

export interface WsStatus {
  state: WsState;
  attempt: number;
  /** ms since the epoch of the next try, while reconnecting */
  retryAt: number | null;
  lastCloseCode: number | null;
  lastError: string | null;
}

export interface WebSocketLike {
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface LiveSocketOptions {
  /** gateway base URL, http(s)://host:port */
  getBaseUrl: () => string;
  getToken: () => string | null;
  onEvents: (events: LiveEvent[]) => void;
  onStatus: (status: WsStatus) => void;
  retryPolicy?: RetryPolicy;
  createSocket?: WebSocketFactory;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOO_SLOW = 1013;

export function wsUrl(baseUrl: string, token: string | null, sessionId: string | null): string {
  let origin = baseUrl.replace(/\/+$/, '');
  if (!origin && typeof window !== 'undefined') origin = window.location.origin;
  const url = new URL(`${origin}/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('token', token);
  if (sessionId) url.searchParams.set('session_id', sessionId);
  return url.toString();
}

export class LiveSocket {
  private readonly opts: Required<Omit<LiveSocketOptions, 'getBaseUrl' | 'getToken' | 'onEvents' | 'onStatus'>> &
    Pick<LiveSocketOptions, 'getBaseUrl' | 'getToken' | 'onEvents' | 'onStatus'>;
  private socket: WebSocketLike | null = null;
  private timer: unknown = null;
  private sessionId: string | null = null;
  private attempt = 0;
  private total = 0;
  private wanted = false;
  private gotMessage = false;
  private status: WsStatus = { state: 'idle', attempt: 0, retryAt: null, lastCloseCode: null, lastError: null };

  constructor(opts: LiveSocketOptions) {
    this.opts = {
      retryPolicy: exponentialBackoff({ baseMs: 500, maxMs: 15000 }),
      createSocket: (url) => new WebSocket(url),
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...opts,
    };
  }

  get current(): WsStatus {
    return this.status;
  }

  get session(): string | null {
    return this.sessionId;
  }

  /** Opens (or re-opens on a new session) the stream; `sessionId` null means every session. */
  connect(sessionId: string | null = this.sessionId): void {
    const changed = sessionId !== this.sessionId;
    this.sessionId = sessionId;
    this.wanted = true;
    if (this.socket && !changed && (this.status.state === 'open' || this.status.state === 'connecting')) return;
    this.teardown();
    this.attempt = 0;
    this.open('connecting');
  }

  /** Reconnects now (e.g. after a new token), skipping any pending backoff. */
  reconnectNow(): void {
    if (!this.wanted) return;
    this.teardown();
    this.open('connecting');
  }

  close(): void {
    this.wanted = false;
    this.teardown();
    this.setStatus({ state: 'closed', retryAt: null });
  }

  private teardown(): void {
    if (this.timer !== null) {
      this.opts.clearTimer(this.timer);
      this.timer = null;
    }
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onerror = null;
      s.onclose = null;
      try {
        s.close(1000, 'client closing');
      } catch {
        /* already closed */
      }
    }
  }

  private open(state: 'connecting' | 'reconnecting'): void {
    this.timer = null;
    this.gotMessage = false;
    const url = wsUrl(this.opts.getBaseUrl(), this.opts.getToken(), this.sessionId);
    let socket: WebSocketLike;
    try {
      socket = this.opts.createSocket(url);
    } catch (e) {
      this.setStatus({ lastError: e instanceof Error ? e.message : String(e) });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.setStatus({ state, retryAt: null });
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setStatus({ state: 'open', lastError: null, retryAt: null });
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      if (!this.gotMessage) {
        // a sign of health: the next drop starts the backoff from the beginning
        this.gotMessage = true;
        this.attempt = 0;
        if (this.status.attempt !== 0) this.setStatus({ attempt: 0 });
      }
      const events = decodeMessage(ev.data);
      if (events.length) this.opts.onEvents(events);
    };
    socket.onerror = () => {
      if (this.socket !== socket) return;
      this.setStatus({ lastError: 'websocket error' });
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setStatus({ lastCloseCode: ev.code });
      if (ev.code === CLOSE_UNAUTHORIZED) {
        this.wanted = false;
        this.setStatus({ state: 'unauthorized', lastError: ev.reason || 'token rejected', retryAt: null });
        return;
      }
      if (!this.wanted) {
        this.setStatus({ state: 'closed' });
        return;
      }
      if (ev.code === CLOSE_TOO_SLOW) this.setStatus({ lastError: ev.reason || 'server says the client is too slow' });
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (!this.wanted) return;
    this.attempt += 1;
    this.total += 1;
    const delay = this.opts.retryPolicy(this.attempt, this.total);
    this.setStatus({ state: 'reconnecting', attempt: this.attempt, retryAt: this.opts.now() + delay });
    this.timer = this.opts.setTimer(() => this.open('reconnecting'), delay);
  }

  private setStatus(patch: Partial<WsStatus>): void {
    this.status = { ...this.status, ...patch };
    this.opts.onStatus(this.status);
  }
}

/** One message is one event; a JSON array of events is accepted too. Bad frames are skipped. */
export function decodeMessage(data: unknown): LiveEvent[] {
  if (typeof data !== 'string') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return [];
  }
  const items = Array.isArray(raw) ? raw : [raw];
  const out: LiveEvent[] = [];
  for (const item of items) {
    const ev = parseLiveEvent(item);
    if (ev) out.push(ev);
  }
  return out;
}
