import { useEffect } from 'react';
import { LiveCursor } from '@/lib/live-cursor';
import { useAppStore } from '@/stores/app-store';
import { ReadAloudEngine } from '../engine';
import { browserSpeech, type PlatformSpeech } from '../speech';
import { useReadAloud } from '../store';

/**
 * Reads the live events aloud while the app is open, whatever page is shown: mounted once in the app shell, it
 * feeds each new event of the live log to the engine. `speech` replaces the platform's speech API (tests).
 */
export function ReadAloudRunner({ speech }: { speech?: PlatformSpeech | null }) {
  useEffect(() => {
    const platform = speech === undefined ? browserSpeech() : speech;
    let engine: ReadAloudEngine | null = null;
    const publish = () => {
      if (engine) useReadAloud.getState().setSnapshot(engine.snapshot());
    };
    engine = new ReadAloudEngine({
      synth: platform?.synth ?? null,
      makeUtterance: platform?.makeUtterance ?? null,
      settings: useReadAloud.getState().settings,
      onChange: publish,
    });
    const running = engine;
    useReadAloud.setState({ engine: running });
    const cursor = new LiveCursor();
    cursor.take(useAppStore.getState().log);
    const offLive = useAppStore.subscribe((s, prev) => {
      if (s.liveVersion === prev.liveVersion && s.log === prev.log) return;
      const events = cursor.take(s.log);
      let changed = false;
      for (const ev of events) {
        const result = running.offer(ev);
        if (result !== 'off' && result !== 'ignored') changed = true;
      }
      if (changed) publish(); // switched off, the panel is not re-rendered for every batch
    });
    const offSettings = useReadAloud.subscribe((s, prev) => {
      if (s.settings === prev.settings) return;
      running.configure(s.settings);
      publish();
    });
    publish();
    return () => {
      offLive();
      offSettings();
      running.dispose();
      engine = null;
      useReadAloud.setState({ engine: null });
    };
  }, [speech]);
  return null;
}
