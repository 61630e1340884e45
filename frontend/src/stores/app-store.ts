import { create } from 'zustand';
import { persist, createJSONStorage } from 'zustand/middleware';
import { LiveLog } from '@/lib/live-log';
import { createFrameScheduler } from '@/lib/scheduler';
import type { WsStatus } from '@/lib/ws-client';
import type { LiveEvent } from '@/types/events';
import type { HealthResponse } from '@/types/api';

/**
 * The one Zustand store. Slices: preferences (persisted), connection, live events, health.
 * Live events live in a mutable, bounded `LiveLog`; the store only bumps `liveVersion` once per
 * frame, so a burst of events costs one render, not one per event.
 */

export type Lang = 'zh' | 'en';
export type Theme = 'light' | 'dark' | 'system';

export const DEFAULT_HISTORY = 100_000;
/** minimum time between two renders of the live views */
export const LIVE_FLUSH_MS = 80;

export interface PrefsSlice {
  /** '' = the page's own origin (the gateway serves the UI), else e.g. http://127.0.0.1:9019 */
  gatewayUrl: string;
  token: string | null;
  rememberToken: boolean;
  lang: Lang;
  theme: Theme;
  historySize: number;
  setGatewayUrl(url: string): void;
  login(token: string, remember: boolean): void;
  logout(): void;
  setLang(lang: Lang): void;
  setTheme(theme: Theme): void;
  setHistorySize(n: number): void;
}

export interface ConnectionSlice {
  ws: WsStatus;
  /** the live session the monitor follows (null = all sessions) */
  sessionId: string | null;
  liveId: string | null;
  setWsStatus(s: WsStatus): void;
  setSession(sessionId: string | null, liveId?: string | null): void;
}

export interface LiveSlice {
  log: LiveLog;
  liveVersion: number;
  paused: boolean;
  ingest(events: readonly LiveEvent[]): void;
  flushNow(): void;
  setPaused(p: boolean): void;
  clearLive(): void;
}

export interface HealthSlice {
  health: HealthResponse | null;
  healthError: string | null;
  healthAt: number | null;
  setHealth(h: HealthResponse | null, error?: string | null): void;
}

export type AppState = PrefsSlice & ConnectionSlice & LiveSlice & HealthSlice;

const initialWs: WsStatus = { state: 'idle', attempt: 0, retryAt: null, lastCloseCode: null, lastError: null };

let pending: LiveEvent[] = [];

/**
 * localStorage that skips writes of an unchanged value: `persist` writes on every state change,
 * and the live slice changes a dozen times a second.
 */
function dedupedLocalStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  return {
    getItem: (k) => localStorage.getItem(k),
    setItem: (k, v) => {
      if (localStorage.getItem(k) !== v) localStorage.setItem(k, v);
    },
    removeItem: (k) => localStorage.removeItem(k),
  };
}

export const useAppStore = create<AppState>()(
  persist(
    (set, get) => {
      // about 12 renders a second however fast events come: smooth at 1,000 events/s
      const scheduler = createFrameScheduler(() => get().flushNow(), 100, LIVE_FLUSH_MS);
      return {
        // prefs
        gatewayUrl: '',
        token: null,
        rememberToken: true,
        lang: 'zh',
        theme: 'system',
        historySize: DEFAULT_HISTORY,
        setGatewayUrl: (gatewayUrl) => set({ gatewayUrl: gatewayUrl.trim().replace(/\/+$/, '') }),
        login: (token, remember) => set({ token: token.trim(), rememberToken: remember }),
        logout: () => set({ token: null }),
        setLang: (lang) => set({ lang }),
        setTheme: (theme) => set({ theme }),
        setHistorySize: (n) => {
          const size = Math.min(500_000, Math.max(1000, Math.round(n)));
          set({ historySize: size, log: new LiveLog(size), liveVersion: get().liveVersion + 1 });
        },

        // connection
        ws: initialWs,
        sessionId: null,
        liveId: null,
        setWsStatus: (ws) => set({ ws }),
        setSession: (sessionId, liveId = null) => set({ sessionId, liveId }),

        // live
        log: new LiveLog(DEFAULT_HISTORY),
        liveVersion: 0,
        paused: false,
        ingest: (events) => {
          if (events.length === 0) return;
          for (const ev of events) pending.push(ev);
          scheduler.schedule();
        },
        flushNow: () => {
          scheduler.cancel();
          if (pending.length === 0) return;
          const batch = pending;
          pending = [];
          const added = get().log.append(batch);
          if (added > 0) set({ liveVersion: get().liveVersion + 1 });
        },
        setPaused: (paused) => set({ paused }),
        clearLive: () => {
          pending = [];
          set({ log: new LiveLog(get().historySize), liveVersion: get().liveVersion + 1 });
        },

        // health
        health: null,
        healthError: null,
        healthAt: null,
        setHealth: (health, healthError = null) => set({ health, healthError, healthAt: Date.now() }),
      };
    },
    {
      name: 'timao.prefs',
      version: 1,
      storage: createJSONStorage(dedupedLocalStorage),
      partialize: (s) => ({
        gatewayUrl: s.gatewayUrl,
        token: s.rememberToken ? s.token : null,
        rememberToken: s.rememberToken,
        lang: s.lang,
        theme: s.theme,
        historySize: s.historySize,
      }),
      merge: (persisted, current) => {
        const p = (persisted ?? {}) as Partial<AppState>;
        const historySize = typeof p.historySize === 'number' ? p.historySize : current.historySize;
        return {
          ...current,
          ...p,
          historySize,
          log: historySize === current.historySize ? current.log : new LiveLog(historySize),
        };
      },
    },
  ),
);

/** For tests: back to a fresh state (new log, default prefs). */
export function resetAppStore(): void {
  pending = [];
  useAppStore.setState({
    gatewayUrl: '',
    token: null,
    rememberToken: true,
    lang: 'zh',
    theme: 'system',
    historySize: DEFAULT_HISTORY,
    ws: initialWs,
    sessionId: null,
    liveId: null,
    log: new LiveLog(DEFAULT_HISTORY),
    liveVersion: 0,
    paused: false,
    health: null,
    healthError: null,
    healthAt: null,
  });
}
