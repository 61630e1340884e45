import { useEffect, useState } from 'react';
import type { SpeechLike, UtteranceLike, VoiceLike } from './engine';

/** The platform's Web Speech API, or null where it has none (then read-aloud says so and stays silent). */
export interface PlatformSpeech {
  synth: SpeechLike & { addEventListener?: (type: 'voiceschanged', fn: () => void) => void; removeEventListener?: (type: 'voiceschanged', fn: () => void) => void };
  makeUtterance: (text: string) => UtteranceLike;
}

export function browserSpeech(): PlatformSpeech | null {
  if (typeof window === 'undefined') return null;
  const synth = window.speechSynthesis as unknown as PlatformSpeech['synth'] | undefined;
  const Utterance = window.SpeechSynthesisUtterance as typeof SpeechSynthesisUtterance | undefined;
  if (!synth || typeof Utterance !== 'function') return null;
  return { synth, makeUtterance: (text) => new Utterance(text) as unknown as UtteranceLike };
}

/** The platform's voices; they may arrive after the page loads (the `voiceschanged` event). */
export function useVoices(speech: PlatformSpeech | null): VoiceLike[] {
  const [voices, setVoices] = useState<VoiceLike[]>(() => speech?.synth.getVoices() ?? []);
  useEffect(() => {
    const synth = speech?.synth;
    if (!synth) return;
    const update = () => setVoices(synth.getVoices());
    update();
    synth.addEventListener?.('voiceschanged', update);
    return () => synth.removeEventListener?.('voiceschanged', update);
  }, [speech]);
  return voices;
}
