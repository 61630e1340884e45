import { exponentialBackoff, sleep, type RetryPolicy } from './backoff';

/**
 * The one HTTP client of the UI: token, timeouts, typed errors, and retry with backoff on
 * idempotent calls (GET, PUT). It never touches the UI: callers get an `ApiError` and decide.
 */

export type ApiErrorKind =
  | 'network' // no answer at all (backend not started, connection refused)
  | 'timeout'
  | 'unauthorized' // 401/403: wrong or missing token
  | 'unavailable' // 503: the service behind this route is not running
  | 'not_found'
  | 'bad_request' // other 4xx
  | 'server' // 5xx other than 503
  | 'aborted';

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status: number;
  readonly detail: string;

  constructor(kind: ApiErrorKind, status: number, detail: string) {
    super(`${kind}${status ? ` ${status}` : ''}: ${detail}`);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.detail = detail;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export interface ApiConfig {
  baseUrl: string;
  token: string | null;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Overrides the retry count; non-idempotent methods never retry. */
  retries?: number;
  /** Send no token (only `/health` needs none). */
  anonymous?: boolean;
  /** Answer the body as text instead of parsing JSON (a file: subtitles, an export). */
  raw?: boolean;
}

export interface ApiClientOptions {
  getConfig: () => ApiConfig;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
  retries?: number;
  retryPolicy?: RetryPolicy;
  sleepImpl?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const IDEMPOTENT: ReadonlySet<Method> = new Set<Method>(['GET', 'PUT', 'DELETE']);

export function detailText(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    // FastAPI validation errors: [{loc, msg, type}]
    return detail
      .map((d) => (typeof d === 'object' && d !== null && 'msg' in d ? String((d as { msg: unknown }).msg) : JSON.stringify(d)))
      .join('; ');
  }
  if (detail == null) return '';
  return JSON.stringify(detail);
}

function kindForStatus(status: number): ApiErrorKind {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 503) return 'unavailable';
  if (status === 404) return 'not_found';
  if (status >= 400 && status < 500) return 'bad_request';
  return 'server';
}

/** Transient failures worth another try: no answer, a timeout, or a gateway hiccup. */
function isRetryable(e: ApiError): boolean {
  return e.kind === 'network' || e.kind === 'timeout' || e.status === 502 || e.status === 504;
}

export function joinUrl(baseUrl: string, path: string, query?: RequestOptions['query']): string {
  const base = baseUrl.replace(/\/+$/, '');
  let url = `${base}${path.startsWith('/') ? path : `/${path}`}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `${url.includes('?') ? '&' : '?'}${qs}`;
  }
  return url;
}

export class ApiClient {
  private readonly getConfig: () => ApiConfig;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly sleepImpl: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: ApiClientOptions) {
    this.getConfig = opts.getConfig;
    this.fetchImpl = opts.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 8000;
    this.retries = opts.retries ?? 2;
    this.retryPolicy = opts.retryPolicy ?? exponentialBackoff({ baseMs: 300, maxMs: 3000 });
    this.sleepImpl = opts.sleepImpl ?? sleep;
  }

  get<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  post<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  put<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...opts, body });
  }

  delete<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, opts);
  }

  /** A file the API serves (errors still come as `ApiError` from their JSON). */
  getText(path: string, opts: RequestOptions = {}): Promise<string> {
    return this.request<string>('GET', path, { ...opts, raw: true });
  }

  async request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    const maxRetries = IDEMPOTENT.has(method) ? (opts.retries ?? this.retries) : 0;
    let attempt = 0;
    for (;;) {
      try {
        return await this.once<T>(method, path, opts);
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError('network', 0, String(e));
        if (err.kind === 'aborted' || attempt >= maxRetries || !isRetryable(err)) throw err;
        attempt += 1;
        try {
          await this.sleepImpl(this.retryPolicy(attempt, attempt), opts.signal);
        } catch {
          throw new ApiError('aborted', 0, 'aborted');
        }
      }
    }
  }

  private async once<T>(method: Method, path: string, opts: RequestOptions): Promise<T> {
    const { baseUrl, token } = this.getConfig();
    const url = joinUrl(baseUrl, path, opts.query);
    const headers: Record<string, string> = { Accept: opts.raw ? '*/*' : 'application/json' };
    if (token && !opts.anonymous) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, opts.timeoutMs ?? this.timeoutMs);
    const onOuterAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (opts.signal?.aborted) controller.abort();

    let res: Response;
    try {
      res = await this.fetchImpl(url, { method, headers, body, signal: controller.signal });
    } catch (e) {
      if (timedOut) throw new ApiError('timeout', 0, `no answer within ${opts.timeoutMs ?? this.timeoutMs} ms`);
      if (opts.signal?.aborted) throw new ApiError('aborted', 0, 'aborted');
      throw new ApiError('network', 0, e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }

    const text = await res.text().catch(() => '');
    if (opts.raw && res.ok) return text as T;
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const detail =
        typeof parsed === 'object' && parsed !== null && 'detail' in parsed
          ? detailText((parsed as { detail: unknown }).detail)
          : text.slice(0, 300) || res.statusText;
      throw new ApiError(kindForStatus(res.status), res.status, detail);
    }
    if (text && parsed === undefined) throw new ApiError('server', res.status, 'answer is not JSON');
    return parsed as T;
  }
}
