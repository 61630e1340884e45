import { useEffect } from 'react';
import { LiveCursor } from '@/lib/live-cursor';
import { useAppStore } from '@/stores/app-store';
import { playBeep, type AudioContextFactory } from '../beep';
import { AlertEngine } from '../engine';
import { setAlertsClearHook, useAlerts } from '../store';

/**
 * Watches the live events for alerts while the app is open (mounted once in the app shell): fills the alerts list
 * and beeps. `audio` replaces the platform's AudioContext (tests; null = silent).
 */
export function AlertsRunner({ audio }: { audio?: AudioContextFactory | null }) {
  useEffect(() => {
    const engine = new AlertEngine(useAlerts.getState().settings);
    setAlertsClearHook(() => engine.clear());
    const cursor = new LiveCursor();
    cursor.take(useAppStore.getState().log);
    const offLive = useAppStore.subscribe((s, prev) => {
      if (s.liveVersion === prev.liveVersion && s.log === prev.log) return;
      const events = cursor.take(s.log);
      let added = false;
      let beepKind: 'gift' | 'keyword' | 'question' | null = null;
      for (const ev of events) {
        const offered = engine.offer(ev);
        if (!offered) continue;
        added = true;
        if (offered.beep) beepKind = offered.item.kind;
      }
      if (!added) return;
      useAlerts.getState().setItems([...engine.items]);
      if (beepKind) {
        const { volume } = useAlerts.getState().settings;
        if (audio === undefined) playBeep(beepKind, volume);
        else playBeep(beepKind, volume, audio);
      }
    });
    const offSettings = useAlerts.subscribe((s, prev) => {
      if (s.settings !== prev.settings) engine.configure(s.settings);
    });
    return () => {
      offLive();
      offSettings();
      setAlertsClearHook(() => undefined);
    };
  }, [audio]);
  return null;
}
