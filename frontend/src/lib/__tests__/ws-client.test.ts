import { beforeEach, describe, expect, it } from 'vitest';
import { LiveSocket, decodeMessage, wsUrl, type WsStatus } from '../ws-client';
import { FakeSocket, chat } from '@/testing/fake-api';
import type { LiveEvent } from '@/types/events';

function setup(sessionId: string | null = 's1') {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const events: LiveEvent[] = [];
  const statuses: WsStatus[] = [];
  let token: string | null = 'tok';
  const sock = new LiveSocket({
    getBaseUrl: () => 'http://127.0.0.1:9019',
    getToken: () => token,
    onEvents: (e) => events.push(...e),
    onStatus: (s) => statuses.push(s),
    createSocket: (url) => new FakeSocket(url),
    retryPolicy: (attempt) => attempt * 1000,
    now: () => 0,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => undefined,
  });
  sock.connect(sessionId);
  const last = () => FakeSocket.instances[FakeSocket.instances.length - 1]!;
  const fire = () => timers.shift()!.fn();
  return { sock, events, statuses, timers, last, fire, setToken: (t: string | null) => (token = t) };
}

beforeEach(() => {
  FakeSocket.instances = [];
});

describe('LiveSocket', () => {
  it('connects with the token and the session, and delivers parsed events', () => {
    const { last, events, sock } = setup();
    expect(last().url).toBe('ws://127.0.0.1:9019/ws?token=tok&session_id=s1');
    last().open();
    expect(sock.current.state).toBe('open');
    last().send(chat('你好'));
    last().send('not json');
    last().send({ type: 'nope', ts: 1 });
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('chat');
  });

  it('reconnects with growing backoff and resumes the same session', () => {
    const { last, timers, fire, sock } = setup();
    last().open();
    last().serverClose(1006);
    expect(sock.current).toMatchObject({ state: 'reconnecting', attempt: 1, retryAt: 1000 });
    expect(timers[0]!.ms).toBe(1000);
    fire();
    expect(FakeSocket.instances).toHaveLength(2);
    expect(last().url).toContain('session_id=s1');
    last().serverClose(1006);
    expect(timers[0]!.ms).toBe(2000);
    expect(sock.current.attempt).toBe(2);
  });

  it('resets the attempt count once a message arrives', () => {
    const { last, fire, timers, sock } = setup();
    last().serverClose(1006);
    fire();
    last().serverClose(1006);
    expect(sock.current.attempt).toBe(2);
    fire();
    last().open();
    last().send(chat('hi'));
    expect(sock.current.attempt).toBe(0);
    last().serverClose(1006);
    expect(timers[0]!.ms).toBe(1000);
  });

  it('reconnects after 1013 (client too slow)', () => {
    const { last, sock, timers } = setup();
    last().open();
    last().serverClose(1013, 'slow');
    expect(sock.current.state).toBe('reconnecting');
    expect(sock.current.lastError).toBe('slow');
    expect(timers).toHaveLength(1);
  });

  it('stops on 4401 and reports unauthorized', () => {
    const { last, sock, timers } = setup();
    last().open();
    last().serverClose(4401, 'bad token');
    expect(sock.current.state).toBe('unauthorized');
    expect(timers).toHaveLength(0);
  });

  it('close() stops reconnecting', () => {
    const { last, sock, timers } = setup();
    last().open();
    sock.close();
    expect(last().closedWith).toBe(1000);
    expect(sock.current.state).toBe('closed');
    expect(timers).toHaveLength(0);
  });

  it('switching session opens a new socket', () => {
    const { last, sock } = setup();
    last().open();
    sock.connect('s2');
    expect(FakeSocket.instances).toHaveLength(2);
    expect(last().url).toContain('session_id=s2');
    expect(FakeSocket.instances[0]!.closedWith).toBe(1000);
  });
});

describe('wsUrl / decodeMessage', () => {
  it('maps http to ws and https to wss', () => {
    expect(wsUrl('https://h', 't', null)).toBe('wss://h/ws?token=t');
    expect(wsUrl('', null, 'x')).toMatch(/^ws:\/\/localhost(:\d+)?\/ws\?session_id=x$/);
  });

  it('accepts an array of events and keeps big ids as strings', () => {
    const raw = '[{"type":"chat","session_id":"s","msg_id":7311111111111111111,"ts":1,"data":{"content":"a"}},{"type":"like","ts":"2","data":{"count":1,"total":5}}]';
    const evs = decodeMessage(raw);
    expect(evs.map((e) => e.type)).toEqual(['chat', 'like']);
    expect(evs[1]!.ts).toBe(2);
  });
});
