import type { LiveEvent } from '@/types/events';
import type { WebSocketLike } from '@/lib/ws-client';

export type Route = (url: URL, init: RequestInit) => { status?: number; body?: unknown } | undefined;

/** A fetch that answers from a route function and records every call. */
export function fakeFetch(route: Route) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fn = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://gateway.test');
    calls.push({ url: url.toString(), init });
    const ans = route(url, init) ?? { status: 404, body: { detail: 'not found' } };
    return new Response(ans.body === undefined ? '' : JSON.stringify(ans.body), {
      status: ans.status ?? 200,
      headers: { 'Content-Type': 'application/json' },
    });
  }) as typeof fetch;
  return Object.assign(fn, { calls });
}

/** A WebSocket double driven by the test. */
export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  readyState = 0;
  closedWith: number | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  send(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) } as MessageEvent);
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: true } as CloseEvent);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
}

let seq = 0;
export function chat(content: string, nickname = '观众', extra: Partial<LiveEvent> = {}): LiveEvent {
  seq += 1;
  return {
    type: 'chat',
    session_id: 's1',
    live_id: '1',
    msg_id: `m${seq}`,
    ts: 1_790_000_000_000 + seq,
    user: { id: `u${seq}`, nickname },
    data: { content },
    ...extra,
  } as LiveEvent;
}

export function gift(opts: { user?: string; name?: string; diamonds?: number; repeat?: number; end?: boolean; delta?: number; group?: string }): LiveEvent {
  seq += 1;
  return {
    type: 'gift',
    session_id: 's1',
    msg_id: `g${seq}`,
    ts: 1_790_000_000_000 + seq,
    user: { id: opts.user ?? 'u-gift', nickname: opts.user ?? '送礼人' },
    data: {
      gift_id: '5',
      gift_name: opts.name ?? '玫瑰',
      diamond_count: opts.diamonds ?? 1,
      group_count: 1,
      combo_count: opts.repeat ?? 1,
      repeat_count: opts.repeat ?? 1,
      repeat_end: opts.end ?? false,
      group_id: opts.group ?? 'grp',
      delta: opts.delta ?? 1,
    },
  };
}

/** The gateway's once-a-second show totals (`/ws` only). */
export function showStats(totals: Record<string, number | null>, session_id = 's1'): LiveEvent {
  seq += 1;
  return { type: 'stats', session_id, msg_id: `st${seq}`, ts: 1_790_000_000_000 + seq, data: { totals, minute: null } };
}

export function roomStats(online: number): LiveEvent {
  seq += 1;
  return { type: 'room_stats', session_id: 's1', msg_id: `r${seq}`, ts: 1_790_000_000_000 + seq, data: { online } };
}
