/**
 * Retry policies are values: a function of (attempt, total) returning a delay in ms.
 * `attempt` starts at 1 and is reset by the caller on a sign of health; `total` never is.
 */
export type RetryPolicy = (attempt: number, total: number) => number;

export interface ExponentialOptions {
  baseMs: number;
  maxMs: number;
  factor?: number;
  /** 0..1: the share of the delay that is randomised (full jitter at 1). */
  jitter?: number;
  random?: () => number;
}

export function exponentialBackoff({ baseMs, maxMs, factor = 2, jitter = 0.2, random = Math.random }: ExponentialOptions): RetryPolicy {
  return (attempt) => {
    const raw = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
    const spread = raw * jitter;
    return Math.round(raw - spread + random() * spread);
  };
}

export function constantBackoff(ms: number): RetryPolicy {
  return () => ms;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new DOMException('aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
