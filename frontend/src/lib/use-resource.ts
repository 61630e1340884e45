import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isApiError } from './api-client';

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** ms since the epoch of the last successful load */
  updatedAt: number | null;
  reload(): void;
}

export interface ResourceOptions {
  /** poll every N ms (also while failing, so a page comes alive when its service lands) */
  intervalMs?: number;
  enabled?: boolean;
}

/**
 * A small server-state hook: load, poll, keep the last good data while a refresh fails,
 * cancel in-flight requests on unmount or when `key` changes.
 */
export function useResource<T>(
  key: string,
  fetcher: (signal: AbortSignal) => Promise<T>,
  { intervalMs, enabled = true }: ResourceOptions = {},
): Resource<T> {
  const [state, setState] = useState<{
    key: string;
    data: T | null;
    error: ApiError | null;
    loading: boolean;
    updatedAt: number | null;
  }>({ key, data: null, error: null, loading: enabled, updatedAt: null });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let alive = true;
    const load = async () => {
      setState((s) => (s.key === key ? { ...s, loading: true } : { key, data: null, error: null, loading: true, updatedAt: null }));
      try {
        const data = await fetcherRef.current(controller.signal);
        if (!alive) return;
        setState({ key, data, error: null, loading: false, updatedAt: Date.now() });
      } catch (e) {
        if (!alive) return;
        const err = isApiError(e) ? e : new ApiError('network', 0, e instanceof Error ? e.message : String(e));
        if (err.kind === 'aborted') return;
        setState((s) => (s.key === key ? { ...s, error: err, loading: false } : { key, data: null, error: err, loading: false, updatedAt: null }));
      }
      if (alive && intervalMs) timer = setTimeout(load, intervalMs);
    };
    void load();
    return () => {
      alive = false;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, enabled, intervalMs, tick]);

  if (state.key !== key) return { data: null, error: null, loading: enabled, updatedAt: null, reload };
  return { data: state.data, error: state.error, loading: state.loading, updatedAt: state.updatedAt, reload };
}
