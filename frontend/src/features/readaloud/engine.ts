import {
  giftCount,
  giftSendDiamonds,
  giftSendKey,
  giftUnits,
  isComboEnd,
  isEmojiOnly,
  isLink,
  isQuestion,
  matchKeyword,
  repeatKey,
  speakable,
  speakableName,
} from '@/lib/live-rules';
import type { GiftEvent, LiveEvent } from '@/types/events';

/**
 * Read-aloud (语音播报): which live events are spoken, in what order and how fast. The platform's speech engine
 * (Web Speech API `speechSynthesis`) is passed in, so tests drive a stand-in.
 *
 * - one utterance at a time, handed to the engine only when the previous one ended (so 跳过 cancels exactly one);
 * - a bounded queue: when full, the oldest waiting line is dropped, and a line older than `maxAgeMs` is dropped
 *   instead of spoken, so the voice is never minutes behind the room;
 * - a rate limit: at most `maxPerMinute` lines start in any 60 s;
 * - a gift is spoken once per send, when its combo ends (or has been quiet for `giftQuietMs`), with the send's total;
 * - links, emoji-only comments and a text repeated within `repeatWindowMs` are skipped.
 */

export type CommentMode = 'all' | 'keywords' | 'questions' | 'keywordsOrQuestions' | 'none';

export interface ReadAloudSettings {
  enabled: boolean;
  /** 0–1 */
  volume: number;
  /** 0.5–2 */
  rate: number;
  /** a voice's `voiceURI`; '' = automatic (a zh-CN voice first) */
  voiceURI: string;
  comments: CommentMode;
  keywords: string[];
  gifts: boolean;
  /** a gift send worth fewer diamonds is not read (0 = every gift) */
  giftMinDiamonds: number;
  follows: boolean;
  maxPerMinute: number;
  maxQueue: number;
  maxAgeMs: number;
  skipLinks: boolean;
  skipEmojiOnly: boolean;
  skipRepeats: boolean;
  repeatWindowMs: number;
}

export const DEFAULT_READ_ALOUD: ReadAloudSettings = {
  enabled: false,
  volume: 0.8,
  rate: 1.1,
  voiceURI: '',
  comments: 'all',
  keywords: [],
  gifts: true,
  giftMinDiamonds: 0,
  follows: true,
  maxPerMinute: 20,
  maxQueue: 5,
  maxAgeMs: 30_000,
  skipLinks: true,
  skipEmojiOnly: true,
  skipRepeats: true,
  repeatWindowMs: 60_000,
};

/** The parts of `SpeechSynthesisVoice` used here. */
export interface VoiceLike {
  voiceURI: string;
  name: string;
  lang: string;
  default?: boolean;
  localService?: boolean;
}

/** The parts of `SpeechSynthesisUtterance` used here. */
export interface UtteranceLike {
  text: string;
  lang: string;
  volume: number;
  rate: number;
  voice: VoiceLike | null;
  onend: ((ev?: unknown) => void) | null;
  onerror: ((ev?: unknown) => void) | null;
}

/** The parts of `speechSynthesis` used here. */
export interface SpeechLike {
  speak(u: UtteranceLike): void;
  cancel(): void;
  getVoices(): VoiceLike[];
}

export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export type LineKind = 'chat' | 'gift' | 'follow';

export interface SpeechLine {
  id: number;
  kind: LineKind;
  text: string;
  /** when it was queued (clock time) */
  at: number;
}

export type SkipReason = 'off' | 'filtered' | 'link' | 'emoji' | 'repeat' | 'belowMin';

export interface ReadAloudCounts {
  spoken: number;
  /** dropped from a full queue or too old to be spoken */
  dropped: number;
  /** stopped by 跳过 */
  skippedByUser: number;
  /** the platform refused or failed to speak (e.g. no voice, or speech not allowed before a click) */
  failed: number;
  skipped: Record<SkipReason, number>;
}

export interface ReadAloudSnapshot {
  supported: boolean;
  enabled: boolean;
  speaking: SpeechLine | null;
  queue: SpeechLine[];
  counts: ReadAloudCounts;
  voice: string | null;
  lastError: string | null;
}

export type OfferResult = 'queued' | 'pending' | SkipReason | 'ignored';

const GIFT_QUIET_MS = 3000;
const MAX_OPEN_GIFTS = 500;
const MAX_CLOSED_GIFTS = 5000;
const MAX_REPEAT_KEYS = 2000;

/** The voice to use: the chosen one if the platform has it, else zh-CN, then any Chinese voice, then none (the default). */
export function pickVoice(voices: readonly VoiceLike[], voiceURI: string): VoiceLike | null {
  if (voiceURI) {
    const chosen = voices.find((v) => v.voiceURI === voiceURI);
    if (chosen) return chosen;
  }
  const lang = (v: VoiceLike) => v.lang.replace('_', '-').toLowerCase();
  const rank = (v: VoiceLike) => {
    const l = lang(v);
    if (l === 'zh-cn') return 0;
    if (l.startsWith('cmn') || l === 'zh-hans' || l === 'zh') return 1;
    if (l.startsWith('zh')) return 2;
    return 9;
  };
  let best: VoiceLike | null = null;
  for (const v of voices) {
    const r = rank(v);
    if (r === 9) continue;
    if (!best || r < rank(best) || (r === rank(best) && v.localService && !best.localService)) best = v;
  }
  return best;
}

function emptyCounts(): ReadAloudCounts {
  return { spoken: 0, dropped: 0, skippedByUser: 0, failed: 0, skipped: { off: 0, filtered: 0, link: 0, emoji: 0, repeat: 0, belowMin: 0 } };
}

interface OpenSend {
  ev: GiftEvent;
  count: number;
  lastAt: number;
}

export interface ReadAloudEngineOptions {
  synth: SpeechLike | null;
  makeUtterance: ((text: string) => UtteranceLike) | null;
  settings?: ReadAloudSettings;
  clock?: Clock;
  /** called when something changed on its own (an utterance ended, a timer fired) */
  onChange?: () => void;
}

export class ReadAloudEngine {
  private settings: ReadAloudSettings;
  private readonly synth: SpeechLike | null;
  private readonly makeUtterance: ((text: string) => UtteranceLike) | null;
  private readonly clock: Clock;
  private readonly onChange: () => void;
  private queue: SpeechLine[] = [];
  private current: { line: SpeechLine; u: UtteranceLike; watchdog: unknown } | null = null;
  private starts: number[] = [];
  private waitTimer: unknown = null;
  private giftTimer: unknown = null;
  private openGifts = new Map<string, OpenSend>();
  private closedGifts = new Map<string, number>();
  private recent = new Map<string, number>();
  private nextId = 1;
  private lastVoice: string | null = null;
  private lastError: string | null = null;
  counts: ReadAloudCounts = emptyCounts();

  constructor(opts: ReadAloudEngineOptions) {
    this.synth = opts.synth;
    this.makeUtterance = opts.makeUtterance;
    this.settings = opts.settings ?? DEFAULT_READ_ALOUD;
    this.clock = opts.clock ?? realClock;
    this.onChange = opts.onChange ?? (() => undefined);
  }

  get supported(): boolean {
    return this.synth !== null && this.makeUtterance !== null;
  }

  configure(settings: ReadAloudSettings): void {
    const wasOn = this.settings.enabled;
    this.settings = settings;
    if (wasOn && !settings.enabled) this.clear();
    else this.pump();
  }

  /** Takes one live event: queues its line, keeps a gift until its combo ends, or says why it is not read. */
  offer(ev: LiveEvent): OfferResult {
    const s = this.settings;
    if (!s.enabled || !this.supported) return this.skip_('off');
    switch (ev.type) {
      case 'chat':
        return this.offerComment(ev.data.content ?? '', ev);
      case 'emoji_chat':
        return s.comments === 'none' ? this.skip_('filtered') : s.skipEmojiOnly ? this.skip_('emoji') : this.offerComment(ev.data.content ?? '', ev);
      case 'gift':
        return this.offerGift(ev);
      case 'follow': {
        if (!s.follows) return this.skip_('filtered');
        const key = `follow:${ev.session_id}:${ev.user?.id ?? ''}:${ev.user?.nickname ?? ''}`;
        if (s.skipRepeats && !ev.user?.masked && this.seenRecently(key)) return this.skip_('repeat');
        return this.enqueue('follow', `感谢${speakableName(ev.user)}的关注`);
      }
      default:
        return 'ignored';
    }
  }

  /** 跳过: stops what is being spoken now; the next line follows. */
  skip(): void {
    const cur = this.current;
    if (!cur) return;
    this.counts.skippedByUser += 1;
    this.stop(cur.u, false);
  }

  /** Empties the queue and stops speaking (switching off does this). */
  clear(): void {
    const cur = this.current;
    this.queue = [];
    this.openGifts.clear();
    if (this.giftTimer !== null) this.clock.clearTimer(this.giftTimer);
    this.giftTimer = null;
    if (this.waitTimer !== null) this.clock.clearTimer(this.waitTimer);
    this.waitTimer = null;
    if (cur) this.stop(cur.u, false);
  }

  dispose(): void {
    this.clear();
  }

  snapshot(): ReadAloudSnapshot {
    return {
      supported: this.supported,
      enabled: this.settings.enabled,
      speaking: this.current?.line ?? null,
      queue: [...this.queue],
      counts: { ...this.counts, skipped: { ...this.counts.skipped } },
      voice: this.lastVoice,
      lastError: this.lastError,
    };
  }

  private skip_(reason: SkipReason): SkipReason {
    this.counts.skipped[reason] += 1;
    return reason;
  }

  private offerComment(content: string, ev: LiveEvent): OfferResult {
    const s = this.settings;
    if (s.comments === 'none') return this.skip_('filtered');
    if (s.skipLinks && isLink(content)) return this.skip_('link');
    if (s.skipEmojiOnly && isEmojiOnly(content)) return this.skip_('emoji');
    const keyword = matchKeyword(content, s.keywords) !== null;
    const question = s.comments === 'questions' || s.comments === 'keywordsOrQuestions' ? isQuestion(content) : false;
    const pass =
      s.comments === 'all' ||
      (s.comments === 'keywords' && keyword) ||
      (s.comments === 'questions' && question) ||
      (s.comments === 'keywordsOrQuestions' && (keyword || question));
    if (!pass) return this.skip_('filtered');
    const text = speakable(content);
    if (!text) return this.skip_('emoji');
    if (s.skipRepeats && this.seenRecently(`chat:${repeatKey(content)}`)) return this.skip_('repeat');
    return this.enqueue('chat', `${speakableName(ev.user)}说：${text}`);
  }

  private offerGift(ev: GiftEvent): OfferResult {
    if (!this.settings.gifts) return this.skip_('filtered');
    const key = giftSendKey(ev);
    const closed = this.closedGifts.get(key);
    if (closed !== undefined) {
      // docs/protocol/douyin.md §5: with group id 0 a new message after the close starts a new send;
      // otherwise it is a late copy of a send already read
      const groupless = !ev.data.group_id || String(ev.data.group_id) === '0';
      if (!groupless || isComboEnd(ev)) return 'ignored';
      this.closedGifts.delete(key);
    }
    const open = this.openGifts.get(key);
    const count = Math.max(giftCount(ev), open?.count ?? 0);
    const send: OpenSend = { ev: count === giftCount(ev) ? ev : (open?.ev ?? ev), count, lastAt: this.clock.now() };
    if (isComboEnd(ev)) {
      this.openGifts.delete(key);
      return this.closeSend(key, send);
    }
    this.openGifts.delete(key);
    this.openGifts.set(key, send);
    if (this.openGifts.size > MAX_OPEN_GIFTS) {
      const [oldestKey, oldest] = this.openGifts.entries().next().value as [string, OpenSend];
      this.openGifts.delete(oldestKey);
      this.closeSend(oldestKey, oldest);
    }
    this.armGiftTimer();
    return 'pending';
  }

  private closeSend(key: string, send: OpenSend): OfferResult {
    this.closedGifts.set(key, this.clock.now());
    if (this.closedGifts.size > MAX_CLOSED_GIFTS) {
      const oldest = this.closedGifts.keys().next().value;
      if (oldest !== undefined) this.closedGifts.delete(oldest);
    }
    const ev = send.ev;
    if (giftSendDiamonds(ev) < this.settings.giftMinDiamonds) return this.skip_('belowMin');
    const units = giftUnits(ev);
    const name = speakable(ev.data.gift_name || String(ev.data.gift_id), 12) || '礼物';
    return this.enqueue('gift', `感谢${speakableName(ev.user)}送出的${units > 1 ? `${units}个` : ''}${name}`);
  }

  private armGiftTimer(): void {
    if (this.giftTimer !== null || this.openGifts.size === 0) return;
    this.giftTimer = this.clock.setTimer(() => {
      this.giftTimer = null;
      const now = this.clock.now();
      for (const [key, send] of [...this.openGifts]) {
        if (now - send.lastAt >= GIFT_QUIET_MS) {
          this.openGifts.delete(key);
          this.closeSend(key, send);
        }
      }
      this.armGiftTimer();
      this.pump();
      this.onChange();
    }, 1000);
  }

  private seenRecently(key: string): boolean {
    const now = this.clock.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < this.settings.repeatWindowMs) return true;
    this.recent.delete(key);
    this.recent.set(key, now);
    if (this.recent.size > MAX_REPEAT_KEYS) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return false;
  }

  private enqueue(kind: LineKind, text: string): OfferResult {
    this.queue.push({ id: this.nextId++, kind, text, at: this.clock.now() });
    const max = Math.max(1, this.settings.maxQueue);
    while (this.queue.length > max) {
      this.queue.shift();
      this.counts.dropped += 1;
    }
    this.pump();
    return 'queued';
  }

  /** Starts the next line if nothing is spoken and the rate limit allows; else waits for the limit's window. */
  private pump(): void {
    if (this.current || !this.settings.enabled || !this.synth || !this.makeUtterance) return;
    const now = this.clock.now();
    while (this.queue.length > 0 && now - (this.queue[0]?.at ?? now) > this.settings.maxAgeMs) {
      this.queue.shift();
      this.counts.dropped += 1;
    }
    if (this.queue.length === 0) return;
    this.starts = this.starts.filter((t) => now - t < 60_000);
    const limit = Math.max(1, this.settings.maxPerMinute);
    if (this.starts.length >= limit) {
      if (this.waitTimer === null) {
        const wait = Math.max(1, (this.starts[0] ?? now) + 60_000 - now);
        this.waitTimer = this.clock.setTimer(() => {
          this.waitTimer = null;
          this.pump();
          this.onChange();
        }, wait);
      }
      return;
    }
    const line = this.queue.shift()!;
    this.starts.push(now);
    const u = this.makeUtterance(line.text);
    const voice = pickVoice(this.synth.getVoices(), this.settings.voiceURI);
    u.lang = voice?.lang ?? 'zh-CN';
    u.voice = voice;
    u.volume = Math.min(1, Math.max(0, this.settings.volume));
    u.rate = Math.min(2, Math.max(0.5, this.settings.rate));
    u.onend = () => this.finish(u, true);
    u.onerror = (ev) => {
      this.counts.failed += 1;
      const error = (ev as { error?: unknown } | undefined)?.error;
      this.lastError = typeof error === 'string' ? error : 'error';
      this.finish(u, false);
    };
    this.lastVoice = voice?.name ?? null;
    // A platform that never reports the end (it happens) must not stop the reading: give up after a generous time
    // (5 s plus 0.4 s a character at normal speed; a slow voice gets longer).
    const watchdog = this.clock.setTimer(() => {
      if (this.current?.u === u) this.stop(u, true);
    }, 5000 + ([...line.text].length * 400) / u.rate);
    this.current = { line, u, watchdog };
    this.synth.speak(u);
  }

  /** Cancels the platform's speech for this utterance first (its end events no longer count), then moves on. */
  private stop(u: UtteranceLike, spoken: boolean): void {
    u.onend = null;
    u.onerror = null;
    this.synth?.cancel();
    this.finish(u, spoken);
  }

  private finish(u: UtteranceLike, spoken: boolean): void {
    const cur = this.current;
    if (!cur || cur.u !== u) return;
    this.clock.clearTimer(cur.watchdog);
    this.current = null;
    if (spoken) this.counts.spoken += 1;
    this.pump();
    this.onChange();
  }
}
