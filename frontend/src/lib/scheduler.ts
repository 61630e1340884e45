/**
 * Runs `fn` once at the next animation frame, or after `fallbackMs` when frames are not
 * delivered (a background tab, jsdom). Calls made before it runs coalesce into one, and runs are
 * at least `minIntervalMs` apart, so a flood of events costs a bounded number of renders.
 */
export function createFrameScheduler(fn: () => void, fallbackMs = 100, minIntervalMs = 0): { schedule(): void; cancel(): void } {
  let pending = false;
  let lastRun = -Infinity;
  let raf: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (!pending) return;
    pending = false;
    if (raf !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(raf);
    if (timer !== null) clearTimeout(timer);
    raf = null;
    timer = null;
    lastRun = now();
    fn();
  };
  const arm = () => {
    if (typeof requestAnimationFrame === 'function') raf = requestAnimationFrame(run);
    timer = setTimeout(run, fallbackMs);
  };
  return {
    schedule() {
      if (pending) return;
      pending = true;
      const wait = lastRun + minIntervalMs - now();
      if (wait > 0) timer = setTimeout(arm, wait);
      else arm();
    },
    cancel() {
      pending = false;
      if (raf !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(raf);
      if (timer !== null) clearTimeout(timer);
      raf = null;
      timer = null;
    },
  };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
