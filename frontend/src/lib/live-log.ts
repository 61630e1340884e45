import type {
  GiftEvent,
  LiveEvent,
  LiveEventType,
  RecordingEvent,
  ServiceEvent,
  ShowTotals,
  TranscriptEvent,
} from '@/types/events';

/**
 * The bounded history of live events plus the aggregates the live pages show.
 *
 * It is mutated in place (no copying per event, so 1,000 events/s cost O(1) each) and the store
 * bumps a version number once per frame. Memory is bounded: the ring keeps `capacity` events,
 * every side list has a cap, and the dedupe set forgets old ids.
 */

export interface ComboState {
  key: string;
  userName: string;
  giftName: string;
  count: number;
  groupCount: number;
  diamondEach: number;
  updatedAt: number;
  ended: boolean;
}

export interface ViewerPoint {
  t: number;
  online: number;
}

const VIEWER_POINTS = 600;
const TRANSCRIPTS = 1000;
const RECORDING_EVENTS = 200;
const DEDUPE_IDS = 50_000;
const COMBO_LINGER_MS = 4000;
const MAX_COMBOS = 500;

export function emptyCounts(): Record<LiveEventType, number> {
  return {
    chat: 0,
    emoji_chat: 0,
    gift: 0,
    like: 0,
    member: 0,
    follow: 0,
    share: 0,
    room_stats: 0,
    fansclub: 0,
    control: 0,
    room_rank: 0,
    transcript: 0,
    recording: 0,
    service: 0,
    ast_job: 0,
    stats: 0,
  };
}

export class LiveLog {
  readonly capacity: number;
  private buf: Array<LiveEvent | undefined>;
  /** sequence number of the oldest kept event */
  firstSeq = 0;
  /** sequence number the next event will get */
  nextSeq = 0;

  counts = emptyCounts();
  online: number | null = null;
  likesTotal = 0;
  giftsTotal = 0;
  diamondsTotal = 0;
  duplicates = 0;
  lastControl: string | null = null;
  viewers: ViewerPoint[] = [];
  transcripts: TranscriptEvent[] = [];
  recordingEvents: RecordingEvent[] = [];
  services = new Map<string, ServiceEvent>();
  combos = new Map<string, ComboState>();
  /** The gateway's `stats` per session: the whole show, including what came before this page was opened. */
  showTotals = new Map<string, ShowTotals>();

  private seenIds = new Set<string>();
  private seenOrder: string[] = [];
  private seenHead = 0;

  constructor(capacity = 100_000) {
    this.capacity = Math.max(1, capacity);
    this.buf = new Array<LiveEvent | undefined>(this.capacity);
  }

  get size(): number {
    return this.nextSeq - this.firstSeq;
  }

  get(seq: number): LiveEvent | undefined {
    if (seq < this.firstSeq || seq >= this.nextSeq) return undefined;
    return this.buf[seq % this.capacity];
  }

  /**
   * Appends events in order; returns how many changed what the pages show (new events, and `stats` updates,
   * which are kept per session and never enter the feed). Duplicates by msg id are dropped.
   */
  append(events: readonly LiveEvent[]): number {
    let added = 0;
    for (const ev of events) {
      if (ev.type === 'stats') {
        this.showTotals.set(ev.session_id, ev.data.totals ?? {});
        this.counts.stats += 1;
        added += 1;
        continue;
      }
      if (ev.msg_id && this.isDuplicate(`${ev.session_id}:${ev.type}:${ev.msg_id}`)) {
        this.duplicates += 1;
        continue;
      }
      this.buf[this.nextSeq % this.capacity] = ev;
      this.nextSeq += 1;
      if (this.nextSeq - this.firstSeq > this.capacity) this.firstSeq = this.nextSeq - this.capacity;
      this.aggregate(ev);
      added += 1;
    }
    return added;
  }

  /** A figure over the sessions' show totals, or null before the first `stats` message. */
  showTotal(key: keyof ShowTotals): number | null {
    let sum: number | null = null;
    for (const totals of this.showTotals.values()) {
      const value = Number(totals[key]);
      if (Number.isFinite(value)) sum = (sum ?? 0) + value;
    }
    return sum;
  }

  /** Combos still running, or ended less than a few seconds ago; newest first. */
  activeCombos(now: number): ComboState[] {
    const out: ComboState[] = [];
    for (const c of this.combos.values()) {
      if (now - c.updatedAt <= COMBO_LINGER_MS || (!c.ended && now - c.updatedAt <= COMBO_LINGER_MS * 3)) out.push(c);
    }
    out.sort((a, b) => b.updatedAt - a.updatedAt);
    return out;
  }

  private isDuplicate(key: string): boolean {
    if (this.seenIds.has(key)) return true;
    this.seenIds.add(key);
    if (this.seenOrder.length < DEDUPE_IDS) {
      this.seenOrder.push(key);
    } else {
      const old = this.seenOrder[this.seenHead];
      if (old !== undefined) this.seenIds.delete(old);
      this.seenOrder[this.seenHead] = key;
      this.seenHead = (this.seenHead + 1) % DEDUPE_IDS;
    }
    return false;
  }

  private aggregate(ev: LiveEvent): void {
    this.counts[ev.type] = (this.counts[ev.type] ?? 0) + 1;
    switch (ev.type) {
      case 'room_stats': {
        const online = Number(ev.data.online);
        if (Number.isFinite(online)) {
          this.online = online;
          pushBounded(this.viewers, { t: ev.ts, online }, VIEWER_POINTS);
        }
        break;
      }
      case 'like': {
        const total = Number(ev.data.total);
        if (Number.isFinite(total) && total > this.likesTotal) this.likesTotal = total;
        else this.likesTotal += Number(ev.data.count) || 0;
        break;
      }
      case 'gift':
        this.trackGift(ev);
        break;
      case 'transcript':
        pushBounded(this.transcripts, ev, TRANSCRIPTS);
        break;
      case 'recording':
        pushBounded(this.recordingEvents, ev, RECORDING_EVENTS);
        break;
      case 'service':
        this.services.set(ev.data.service, ev);
        break;
      case 'control':
        this.lastControl = ev.data.status;
        break;
      default:
        break;
    }
  }

  private trackGift(ev: GiftEvent): void {
    const d = ev.data;
    const delta = Number(d.delta) || 0;
    const diamondEach = Number(d.diamond_count) || 0;
    this.giftsTotal += delta;
    this.diamondsTotal += delta * diamondEach;
    const key = `${ev.session_id}:${ev.user?.id ?? ''}:${d.gift_id}:${d.group_id ?? ''}`;
    const prev = this.combos.get(key);
    const count = Math.max(Number(d.repeat_count) || 0, Number(d.combo_count) || 0, (prev?.count ?? 0) + delta);
    const combo: ComboState = {
      key,
      userName: ev.user?.nickname ?? '',
      giftName: d.gift_name ?? String(d.gift_id),
      count,
      groupCount: Number(d.group_count) || 1,
      diamondEach,
      updatedAt: ev.ts,
      ended: Boolean(d.repeat_end),
    };
    this.combos.delete(key);
    this.combos.set(key, combo); // re-insert: Map order becomes recency order
    if (this.combos.size > MAX_COMBOS) {
      const oldest = this.combos.keys().next().value;
      if (oldest !== undefined) this.combos.delete(oldest);
    }
  }
}

function pushBounded<T>(list: T[], item: T, cap: number): void {
  list.push(item);
  if (list.length > cap) list.splice(0, list.length - cap);
}

/** Text of one event for search: nickname plus what was said or sent. */
export function eventText(ev: LiveEvent): string {
  const name = ev.user?.nickname ?? '';
  switch (ev.type) {
    case 'chat':
    case 'emoji_chat':
    case 'fansclub':
      return `${name} ${ev.data.content ?? ''}`;
    case 'gift':
      return `${name} ${ev.data.gift_name ?? ''}`;
    case 'transcript':
      return ev.data.text ?? '';
    case 'service':
      return `${ev.data.service} ${ev.data.state}`;
    case 'recording':
      return `${ev.data.recording_id} ${ev.data.state}`;
    default:
      return name;
  }
}
