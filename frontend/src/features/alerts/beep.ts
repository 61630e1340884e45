import type { AlertKind } from '@/lib/live-rules';

/**
 * The alert sound, made with WebAudio (no sound file): a short tone whose pitch tells the kind — a rising pair for a
 * big gift, a high tone for a keyword, a lower one for a question. The AudioContext is made on first use and
 * reused; a suspended one (no click on the page yet) is asked to resume.
 */

export type AudioContextFactory = () => AudioContext;

const TONES: Record<AlertKind, number[]> = {
  gift: [784, 1175],
  keyword: [988],
  question: [659],
};
const TONE_S = 0.14;

let shared: AudioContext | null = null;

function defaultFactory(): AudioContextFactory | null {
  const Ctor =
    typeof window === 'undefined'
      ? undefined
      : (window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext);
  return Ctor ? () => new Ctor() : null;
}

/** Plays the kind's tone; answers false when the platform has no WebAudio. */
export function playBeep(kind: AlertKind, volume: number, factory: AudioContextFactory | null = defaultFactory()): boolean {
  if (!factory) return false;
  try {
    shared ??= factory();
    const ctx = shared;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    const gainLevel = Math.min(1, Math.max(0, volume)) * 0.4;
    let t = ctx.currentTime + 0.01;
    for (const freq of TONES[kind]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(freq, t);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(Math.max(0.0002, gainLevel), t + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + TONE_S);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(t);
      osc.stop(t + TONE_S + 0.02);
      t += TONE_S + 0.03;
    }
    return true;
  } catch {
    return false;
  }
}

/** For tests: forget the shared context. */
export function resetBeep(): void {
  shared = null;
}
