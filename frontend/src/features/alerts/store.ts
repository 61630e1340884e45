import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { parseKeywords } from '@/lib/live-rules';
import { DEFAULT_ALERTS, type AlertItem, type AlertSettings } from './engine';

/** The alerts' settings (this window's localStorage) and the list the runner fills. */

export interface AlertsState {
  settings: AlertSettings;
  items: AlertItem[];
  update(patch: Partial<AlertSettings>): void;
  setItems(items: AlertItem[]): void;
  /** set by the runner: empties its list too */
  clearItems(): void;
}

/** Settings as stored or typed, made safe. */
export function sanitizeAlerts(raw: unknown): AlertSettings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_ALERTS;
  const n = Number(r.bigGiftDiamonds);
  const v = Number(r.volume);
  return {
    enabled: typeof r.enabled === 'boolean' ? r.enabled : d.enabled,
    sound: typeof r.sound === 'boolean' ? r.sound : d.sound,
    volume: Number.isFinite(v) && r.volume !== null ? Math.min(1, Math.max(0, v)) : d.volume,
    keywords: Array.isArray(r.keywords) ? parseKeywords(r.keywords.filter((k) => typeof k === 'string').join(',')) : d.keywords,
    bigGiftDiamonds: Number.isFinite(n) && r.bigGiftDiamonds !== null ? Math.round(Math.min(10_000_000, Math.max(0, n))) : d.bigGiftDiamonds,
    questions: typeof r.questions === 'boolean' ? r.questions : d.questions,
  };
}

let clearHook: () => void = () => undefined;

/** The runner's own clear (its engine's list), called by clearItems. */
export function setAlertsClearHook(fn: () => void): void {
  clearHook = fn;
}

export const useAlerts = create<AlertsState>()(
  persist(
    (set, get) => ({
      settings: DEFAULT_ALERTS,
      items: [],
      update: (patch) => set({ settings: sanitizeAlerts({ ...get().settings, ...patch }) }),
      setItems: (items) => set({ items }),
      clearItems: () => {
        clearHook();
        set({ items: [] });
      },
    }),
    {
      name: 'timao.alerts',
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ settings: s.settings }),
      merge: (persisted, current) => ({
        ...current,
        settings: sanitizeAlerts((persisted as { settings?: unknown } | undefined)?.settings),
      }),
    },
  ),
);

export function resetAlerts(): void {
  clearHook = () => undefined;
  useAlerts.setState({ settings: DEFAULT_ALERTS, items: [] });
}
