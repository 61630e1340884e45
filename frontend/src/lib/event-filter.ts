import type { LiveEvent, LiveEventType } from '@/types/events';
import { eventText, type LiveLog } from './live-log';

export interface EventFilter {
  /** empty set = every type */
  types: ReadonlySet<LiveEventType>;
  query: string;
}

export function filterKey(f: EventFilter): string {
  return `${[...f.types].sort().join(',')}|${f.query.trim().toLowerCase()}`;
}

export function matches(ev: LiveEvent, f: EventFilter, q: string): boolean {
  if (f.types.size > 0 && !f.types.has(ev.type)) return false;
  if (!q) return true;
  return eventText(ev).toLowerCase().includes(q);
}

/**
 * The sequence numbers of the events that pass a filter, kept up to date incrementally:
 * new events are scanned once, evicted ones are trimmed from the front. A filter change
 * rescans the ring (100,000 events take a few milliseconds).
 */
export class FilteredIndex {
  private seqs: number[] = [];
  private start = 0;
  private scannedTo = 0;
  private key = '';

  update(log: LiveLog, f: EventFilter): void {
    const key = filterKey(f);
    const q = f.query.trim().toLowerCase();
    if (key !== this.key || this.scannedTo > log.nextSeq) {
      this.key = key;
      this.seqs = [];
      this.start = 0;
      this.scannedTo = log.firstSeq;
    }
    const from = Math.max(this.scannedTo, log.firstSeq);
    for (let s = from; s < log.nextSeq; s++) {
      const ev = log.get(s);
      if (ev && matches(ev, f, q)) this.seqs.push(s);
    }
    this.scannedTo = log.nextSeq;
    while (this.start < this.seqs.length && (this.seqs[this.start] ?? 0) < log.firstSeq) this.start++;
    if (this.start > 4096 && this.start > this.seqs.length / 2) {
      this.seqs = this.seqs.slice(this.start);
      this.start = 0;
    }
  }

  get length(): number {
    return this.seqs.length - this.start;
  }

  at(i: number): number | undefined {
    return this.seqs[this.start + i];
  }
}
