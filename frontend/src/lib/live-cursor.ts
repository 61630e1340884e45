import type { LiveEvent } from '@/types/events';
import type { LiveLog } from './live-log';

/**
 * Follows the live log from the moment it is attached: each `take` answers the events appended since the last one,
 * in order. A new log (cleared, resized) starts over from its end; events the ring evicted before they were taken
 * are skipped (a reader that far behind must not catch up on stale events).
 */
export class LiveCursor {
  private log: LiveLog | null = null;
  private seq = 0;

  take(log: LiveLog): LiveEvent[] {
    if (log !== this.log) {
      this.log = log;
      this.seq = log.nextSeq;
      return [];
    }
    const out: LiveEvent[] = [];
    for (let s = Math.max(this.seq, log.firstSeq); s < log.nextSeq; s++) {
      const ev = log.get(s);
      if (ev) out.push(ev);
    }
    this.seq = log.nextSeq;
    return out;
  }
}
