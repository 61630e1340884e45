import { describe, expect, it } from 'vitest';
import { chat, gift } from '@/testing/fake-api';
import { AlertEngine, BEEP_GAP_MS, DEFAULT_ALERTS, MAX_ALERTS } from './engine';
import { playBeep, resetBeep } from './beep';

describe('alert engine', () => {
  it('lists keyword, question and big-gift alerts newest first, one per gift send', () => {
    let now = 0;
    const e = new AlertEngine({ ...DEFAULT_ALERTS, keywords: ['链接'], bigGiftDiamonds: 1000 }, () => now);
    expect(e.offer(chat('主播好'))).toBeNull();
    expect(e.offer(chat('上链接', '阿强'))?.item).toMatchObject({ kind: 'keyword', keyword: '链接', name: '阿强', text: '上链接' });
    now += 10;
    expect(e.offer(chat('多少钱？'))?.item.kind).toBe('question');
    expect(e.offer(gift({ user: '夜猫子', name: '跑车', diamonds: 1200, repeat: 1, group: 'car' }))?.item).toMatchObject({
      kind: 'gift',
      name: '夜猫子',
      text: '跑车',
      diamonds: 1200,
    });
    expect(e.offer(gift({ user: '夜猫子', name: '跑车', diamonds: 1200, repeat: 1, end: true, group: 'car' }))).toBeNull();
    // a combo that crosses the line later alerts once, at the crossing
    expect(e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 100, repeat: 5, group: 'r' }))).toBeNull();
    expect(e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 100, repeat: 10, group: 'r' }))?.item).toMatchObject({ text: '玫瑰 ×10', diamonds: 1000 });
    expect(e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 100, repeat: 20, group: 'r' }))).toBeNull();
    expect(e.items.map((i) => i.kind)).toEqual(['gift', 'gift', 'question', 'keyword']);
  });

  it('beeps at most once a second, and never with the sound off', () => {
    let now = 0;
    const e = new AlertEngine({ ...DEFAULT_ALERTS, keywords: ['链接'] }, () => now);
    expect(e.offer(chat('链接1'))?.beep).toBe(true);
    now += 200;
    expect(e.offer(chat('链接2'))?.beep).toBe(false);
    now += BEEP_GAP_MS;
    expect(e.offer(chat('链接3'))?.beep).toBe(true);
    e.configure({ ...DEFAULT_ALERTS, keywords: ['链接'], sound: false });
    now += BEEP_GAP_MS * 2;
    expect(e.offer(chat('链接4'))?.beep).toBe(false);
  });

  it('keeps a bounded list', () => {
    const e = new AlertEngine({ ...DEFAULT_ALERTS, keywords: ['x'] });
    for (let i = 0; i < MAX_ALERTS + 20; i++) e.offer(chat(`x${i}`));
    expect(e.items).toHaveLength(MAX_ALERTS);
    expect(e.items[0]!.text).toBe(`x${MAX_ALERTS + 19}`);
  });
});

describe('alert sound', () => {
  /** A stand-in AudioContext that records the tones asked for. */
  function fakeAudio() {
    const tones: Array<{ freq: number; start: number; stop: number }> = [];
    let resumed = 0;
    const param = () => ({ setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined });
    const ctx = {
      state: 'suspended',
      currentTime: 5,
      destination: {},
      resume: async () => {
        resumed += 1;
      },
      createGain: () => ({ gain: param(), connect: () => undefined }),
      createOscillator: () => {
        const tone = { freq: 0, start: 0, stop: 0 };
        return {
          type: 'sine',
          frequency: { ...param(), setValueAtTime: (f: number) => (tone.freq = f) },
          connect: () => undefined,
          start: (t: number) => {
            tone.start = t;
            tones.push(tone);
          },
          stop: (t: number) => (tone.stop = t),
        };
      },
    };
    return { factory: () => ctx as unknown as AudioContext, tones, resumed: () => resumed };
  }

  it('plays a rising pair for a big gift and one tone for a keyword, on one resumed context', () => {
    resetBeep();
    const audio = fakeAudio();
    expect(playBeep('gift', 0.5, audio.factory)).toBe(true);
    expect(audio.tones.map((t) => t.freq)).toEqual([784, 1175]);
    expect(audio.tones[1]!.start).toBeGreaterThan(audio.tones[0]!.stop - 0.05);
    expect(playBeep('keyword', 0.5, audio.factory)).toBe(true);
    expect(audio.tones.map((t) => t.freq)).toEqual([784, 1175, 988]);
    expect(audio.resumed()).toBe(2);
    expect(playBeep('question', 0.5, null)).toBe(false);
    resetBeep();
  });
});
