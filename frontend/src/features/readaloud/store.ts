import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { parseKeywords } from '@/lib/live-rules';
import { DEFAULT_READ_ALOUD, type CommentMode, type ReadAloudEngine, type ReadAloudSettings, type ReadAloudSnapshot } from './engine';

/**
 * Read-aloud's settings (kept in this window's localStorage, like the other client preferences: the gateway has
 * no per-user UI settings) and what it is doing now (the engine's snapshot, for the panel).
 */

export interface ReadAloudState {
  settings: ReadAloudSettings;
  snapshot: ReadAloudSnapshot | null;
  /** the running engine (set by ReadAloudRunner), for 跳过 */
  engine: ReadAloudEngine | null;
  update(patch: Partial<ReadAloudSettings>): void;
  setSnapshot(s: ReadAloudSnapshot): void;
  skip(): void;
}

const COMMENT_MODES: readonly CommentMode[] = ['all', 'keywords', 'questions', 'keywordsOrQuestions', 'none'];

function num(v: unknown, min: number, max: number, fallback: number): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

/** Settings as stored or typed, made safe: numbers clamped to their ranges, unknown values back to the default. */
export function sanitizeReadAloud(raw: unknown): ReadAloudSettings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_READ_ALOUD;
  const keywords = Array.isArray(r.keywords) ? parseKeywords(r.keywords.filter((k) => typeof k === 'string').join(',')) : d.keywords;
  return {
    enabled: bool(r.enabled, d.enabled),
    volume: num(r.volume, 0, 1, d.volume),
    rate: num(r.rate, 0.5, 2, d.rate),
    voiceURI: typeof r.voiceURI === 'string' ? r.voiceURI.slice(0, 500) : d.voiceURI,
    comments: COMMENT_MODES.includes(r.comments as CommentMode) ? (r.comments as CommentMode) : d.comments,
    keywords,
    gifts: bool(r.gifts, d.gifts),
    giftMinDiamonds: Math.round(num(r.giftMinDiamonds, 0, 1_000_000, d.giftMinDiamonds)),
    follows: bool(r.follows, d.follows),
    maxPerMinute: Math.round(num(r.maxPerMinute, 1, 120, d.maxPerMinute)),
    maxQueue: Math.round(num(r.maxQueue, 1, 50, d.maxQueue)),
    maxAgeMs: Math.round(num(r.maxAgeMs, 5_000, 300_000, d.maxAgeMs)),
    skipLinks: bool(r.skipLinks, d.skipLinks),
    skipEmojiOnly: bool(r.skipEmojiOnly, d.skipEmojiOnly),
    skipRepeats: bool(r.skipRepeats, d.skipRepeats),
    repeatWindowMs: Math.round(num(r.repeatWindowMs, 1_000, 3_600_000, d.repeatWindowMs)),
  };
}

export const useReadAloud = create<ReadAloudState>()(
  persist(
    (set, get) => ({
      settings: DEFAULT_READ_ALOUD,
      snapshot: null,
      engine: null,
      update: (patch) => set({ settings: sanitizeReadAloud({ ...get().settings, ...patch }) }),
      setSnapshot: (snapshot) => set({ snapshot }),
      skip: () => get().engine?.skip(),
    }),
    {
      name: 'timao.readaloud',
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ settings: s.settings }),
      merge: (persisted, current) => ({
        ...current,
        settings: sanitizeReadAloud((persisted as { settings?: unknown } | undefined)?.settings),
      }),
    },
  ),
);

/** For tests: default settings, nothing running. */
export function resetReadAloud(): void {
  useReadAloud.setState({ settings: DEFAULT_READ_ALOUD, snapshot: null, engine: null });
}
