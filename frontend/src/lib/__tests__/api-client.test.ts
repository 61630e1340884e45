import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, joinUrl } from '../api-client';
import { fakeFetch } from '@/testing/fake-api';

function client(fetchImpl: typeof fetch, extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) {
  const sleeps: number[] = [];
  const api = new ApiClient({
    getConfig: () => ({ baseUrl: 'http://gw.test', token: 'tok' }),
    fetchImpl,
    sleepImpl: async (ms) => {
      sleeps.push(ms);
    },
    retryPolicy: (attempt) => attempt * 100,
    ...extra,
  });
  return { api, sleeps };
}

describe('ApiClient', () => {
  it('sends the bearer token and parses JSON', async () => {
    const f = fakeFetch(() => ({ body: { sessions: [] } }));
    const { api } = client(f);
    await expect(api.get('/api/sessions')).resolves.toEqual({ sessions: [] });
    expect((f.calls[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(f.calls[0]!.url).toBe('http://gw.test/api/sessions');
  });

  it('sends no token to /health', async () => {
    const f = fakeFetch(() => ({ body: { status: 'ok', services: {} } }));
    const { api } = client(f);
    await api.get('/health', { anonymous: true });
    expect((f.calls[0]!.init.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it.each([
    [503, { detail: 'ast is not running' }, 'unavailable', 'ast is not running'],
    [401, { detail: 'bad token' }, 'unauthorized', 'bad token'],
    [404, { detail: 'no such session' }, 'not_found', 'no such session'],
    [422, { detail: [{ loc: ['body', 'live_id'], msg: 'field required' }] }, 'bad_request', 'field required'],
    [500, 'oops', 'server', '"oops"'],
  ])('maps HTTP %i to a typed error', async (status, body, kind, detail) => {
    const { api } = client(fakeFetch(() => ({ status, body })));
    const err = await api.get('/api/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).kind).toBe(kind);
    expect((err as ApiError).status).toBe(status);
    expect((err as ApiError).detail).toBe(detail);
  });

  it('retries an idempotent call on a network error with backoff, then succeeds', async () => {
    let n = 0;
    const f = vi.fn(async () => {
      n += 1;
      if (n < 3) throw new TypeError('Failed to fetch');
      return new Response('{"ok":true}', { status: 200 });
    }) as unknown as typeof fetch;
    const { api, sleeps } = client(f);
    await expect(api.get('/api/x')).resolves.toEqual({ ok: true });
    expect(n).toBe(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('does not retry a 503: the page shows the state and polls', async () => {
    const f = fakeFetch(() => ({ status: 503, body: { detail: 'down' } }));
    const { api } = client(f);
    await expect(api.get('/api/x')).rejects.toMatchObject({ kind: 'unavailable' });
    expect(f.calls).toHaveLength(1);
  });

  it('never retries a POST', async () => {
    const f = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    const { api } = client(f);
    await expect(api.post('/api/douyin/start', { live_id: '1' })).rejects.toMatchObject({ kind: 'network' });
    expect(f).toHaveBeenCalledTimes(1);
  });

  it('gives up after the retry budget', async () => {
    const f = vi.fn(async () => new Response('', { status: 502 })) as unknown as typeof fetch;
    const { api, sleeps } = client(f, { retries: 3 });
    await expect(api.get('/api/x')).rejects.toMatchObject({ status: 502 });
    expect(f).toHaveBeenCalledTimes(4);
    expect(sleeps).toHaveLength(3);
  });

  it('times out a hanging request', async () => {
    const f = ((_u: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_ok, fail) => {
        init?.signal?.addEventListener('abort', () => fail(new DOMException('aborted', 'AbortError')));
      })) as typeof fetch;
    const { api } = client(f, { retries: 0 });
    await expect(api.get('/api/x', { timeoutMs: 20 })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('builds URLs with a query and a same-origin base', () => {
    expect(joinUrl('', '/api/a', { q: 'x y', n: 1, empty: '', none: undefined })).toBe('/api/a?q=x+y&n=1');
    expect(joinUrl('http://h:1/', 'api/b')).toBe('http://h:1/api/b');
  });
});
