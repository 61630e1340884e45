import { beforeEach, describe, expect, it } from 'vitest';
import { chat, gift } from '@/testing/fake-api';
import type { LiveEvent } from '@/types/events';
import { DEFAULT_READ_ALOUD, pickVoice, ReadAloudEngine, type Clock, type ReadAloudSettings, type SpeechLike, type UtteranceLike, type VoiceLike } from './engine';

/** A stand-in for `speechSynthesis`: records what it was asked to say; the test ends or fails utterances. */
class FakeSynth implements SpeechLike {
  spoken: UtteranceLike[] = [];
  current: UtteranceLike | null = null;
  cancels = 0;
  constructor(public voices: VoiceLike[] = [{ voiceURI: 'en', name: 'English', lang: 'en-US' }, { voiceURI: 'zh', name: 'Chinese', lang: 'zh-CN' }]) {}
  speak(u: UtteranceLike): void {
    if (this.current) throw new Error('the engine must hand over one utterance at a time');
    this.spoken.push(u);
    this.current = u;
  }
  cancel(): void {
    this.cancels += 1;
    const u = this.current;
    this.current = null;
    u?.onerror?.({ error: 'interrupted' }); // as browsers do: the cancelled utterance reports an error
  }
  getVoices(): VoiceLike[] {
    return this.voices;
  }
  /** the platform finishes speaking the current utterance */
  end(): void {
    const u = this.current;
    this.current = null;
    u?.onend?.();
  }
  texts(): string[] {
    return this.spoken.map((u) => u.text);
  }
}

class FakeClock implements Clock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

function utterance(text: string): UtteranceLike {
  return { text, lang: '', volume: 1, rate: 1, voice: null, onend: null, onerror: null };
}

let synth: FakeSynth;
let clock: FakeClock;
function engine(patch: Partial<ReadAloudSettings> = {}): ReadAloudEngine {
  return new ReadAloudEngine({ synth, makeUtterance: utterance, clock, settings: { ...DEFAULT_READ_ALOUD, enabled: true, ...patch } });
}
const named = (name: string, text: string): LiveEvent => chat(text, name);

beforeEach(() => {
  synth = new FakeSynth();
  clock = new FakeClock();
});

describe('read-aloud engine', () => {
  it('speaks one line at a time, in arrival order, with a zh-CN voice and the volume set', () => {
    const e = engine({ volume: 0.3 });
    e.offer(named('小鱼干', '主播好'));
    e.offer(named('猫猫头', '今天穿搭好看'));
    e.offer(named('Tom', '来了来了'));
    expect(synth.texts()).toEqual(['小鱼干说：主播好']);
    expect(synth.spoken[0]!.voice?.lang).toBe('zh-CN');
    expect(synth.spoken[0]!.lang).toBe('zh-CN');
    expect(synth.spoken[0]!.volume).toBe(0.3);
    expect(e.snapshot().queue.map((l) => l.text)).toEqual(['猫猫头说：今天穿搭好看', 'Tom说：来了来了']);
    synth.end();
    synth.end();
    synth.end();
    expect(synth.texts()).toEqual(['小鱼干说：主播好', '猫猫头说：今天穿搭好看', 'Tom说：来了来了']);
    expect(e.snapshot().counts.spoken).toBe(3);
    expect(e.snapshot().speaking).toBeNull();
  });

  it('drops the oldest waiting line when the queue is full', () => {
    const e = engine({ maxQueue: 2 });
    for (const text of ['一', '二', '三', '四', '五']) e.offer(named('甲', `第${text}条`));
    // "一" is being spoken; "二" and "三" were pushed out by "四" and "五"
    expect(e.snapshot().queue.map((l) => l.text)).toEqual(['甲说：第四条', '甲说：第五条']);
    expect(e.snapshot().counts.dropped).toBe(2);
    synth.end();
    synth.end();
    synth.end();
    expect(synth.texts()).toEqual(['甲说：第一条', '甲说：第四条', '甲说：第五条']);
  });

  it('never falls behind: a line that waited longer than the limit is dropped, not spoken', () => {
    const e = engine({ maxAgeMs: 5_000 });
    e.offer(named('甲', '很长的一句话'));
    e.offer(named('乙', '早就过时了'));
    clock.advance(6_000);
    e.offer(named('丙', '新鲜的'));
    synth.end();
    expect(synth.texts()).toEqual(['甲说：很长的一句话', '丙说：新鲜的']);
    expect(e.snapshot().counts.dropped).toBe(1);
  });

  it('rate limit: at most N lines start in any minute, the rest wait for the window', () => {
    const e = engine({ maxPerMinute: 2, maxAgeMs: 120_000 });
    for (const text of ['一', '二', '三']) e.offer(named('甲', `第${text}条`));
    synth.end();
    expect(synth.texts()).toHaveLength(2);
    synth.end();
    clock.advance(30_000);
    expect(synth.texts()).toHaveLength(2); // still inside the first minute
    clock.advance(30_001);
    expect(synth.texts()).toEqual(['甲说：第一条', '甲说：第二条', '甲说：第三条']);
  });

  it('跳过 stops the current line only, and the next one follows', () => {
    const e = engine();
    e.offer(named('甲', '一句很长很长的话'));
    e.offer(named('乙', '下一句'));
    e.skip();
    expect(synth.cancels).toBe(1);
    expect(synth.texts()).toEqual(['甲说：一句很长很长的话', '乙说：下一句']);
    expect(synth.current?.text).toBe('乙说：下一句'); // the cancel did not take the new line with it
    const s = e.snapshot();
    expect([s.counts.skippedByUser, s.counts.spoken, s.counts.failed]).toEqual([1, 0, 0]);
    e.skip();
    e.skip(); // nothing left: a no-op
    expect(synth.cancels).toBe(2);
  });

  it('skips links, emoji-only comments and repeated text', () => {
    const e = engine({ maxQueue: 20 });
    const results = [
      e.offer(named('a', '看这里 https://example.com/x')),
      e.offer(named('b', '加我 v.douyin.com/abc')),
      e.offer(named('c', '[赞][赞][赞]')),
      e.offer(named('d', '👀')),
      e.offer(named('e', '哈哈哈哈哈')),
      e.offer(named('f', '哈哈 哈哈哈！')),
      e.offer(named('g', '求链接')),
    ];
    expect(results).toEqual(['link', 'link', 'emoji', 'emoji', 'queued', 'repeat', 'queued']);
    clock.advance(61_000);
    expect(e.offer(named('h', '哈哈哈哈'))).toBe('queued'); // the repeat window has passed
  });

  it('reads the comment filters: keywords, questions only, both, none', () => {
    const cases: Array<[ReadAloudSettings['comments'], string[]]> = [
      ['keywords', ['多少钱呀', '上链接']],
      ['questions', ['多少钱呀', '这是什么?']], // spoken text is width-folded: ？ → ?
      ['keywordsOrQuestions', ['多少钱呀', '这是什么?', '上链接']],
      ['none', []],
    ];
    for (const [comments, expected] of cases) {
      synth = new FakeSynth();
      const e = engine({ comments, keywords: ['钱', '链接'], maxQueue: 20 });
      for (const text of ['主播好', '多少钱呀', '这是什么？', '上链接']) e.offer(named('甲', text));
      for (let i = 0; i < 5; i++) synth.end();
      expect(synth.texts(), comments).toEqual(expected.map((t) => `甲说：${t}`));
    }
  });

  it('reads a gift once per send when its combo ends, above the diamond threshold, and follows', () => {
    const e = engine({ giftMinDiamonds: 10, maxQueue: 20 });
    // a combo of 小心心 (1 diamond) ×3: below the threshold
    expect(e.offer(gift({ user: '阿强', name: '小心心', diamonds: 1, repeat: 1, group: 'g1' }))).toBe('pending');
    e.offer(gift({ user: '阿强', name: '小心心', diamonds: 1, repeat: 3, group: 'g1' }));
    expect(e.offer(gift({ user: '阿强', name: '小心心', diamonds: 1, repeat: 3, end: true, group: 'g1' }))).toBe('belowMin');
    // 玫瑰 ×12 at 1 diamond: 12 ≥ 10; the summary repeats, out of order counts do not lower it
    e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 1, repeat: 5, group: 'g2' }));
    e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 1, repeat: 12, group: 'g2' }));
    e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 1, repeat: 9, group: 'g2' }));
    expect(e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 1, repeat: 12, end: true, group: 'g2' }))).toBe('queued');
    expect(e.offer(gift({ user: '花花', name: '玫瑰', diamonds: 1, repeat: 12, end: true, group: 'g2' }))).toBe('ignored'); // a duplicate
    e.offer({ type: 'follow', session_id: 's1', ts: 1, user: { id: 'u9', nickname: '🌸晨光🌸' }, data: {} });
    e.offer({ type: 'follow', session_id: 's1', ts: 2, user: { id: '', nickname: '薛***', masked: true }, data: {} });
    for (let i = 0; i < 4; i++) synth.end();
    expect(synth.texts()).toEqual(['感谢花花送出的12个玫瑰', '感谢晨光的关注', '感谢一位观众的关注']);
  });

  it('reads a gift whose combo never sent its end after a quiet time', () => {
    const e = engine();
    e.offer(gift({ user: '夜猫子', name: '跑车', diamonds: 1200, repeat: 1, group: 'g9' }));
    clock.advance(2000);
    expect(synth.texts()).toEqual([]);
    clock.advance(2000);
    expect(synth.texts()).toEqual(['感谢夜猫子送出的跑车']);
  });

  it('switching off stops the voice, empties the queue and reads nothing more', () => {
    const e = engine();
    e.offer(named('甲', '一'));
    e.offer(named('乙', '二'));
    e.configure({ ...DEFAULT_READ_ALOUD, enabled: false });
    expect(synth.current).toBeNull();
    expect(e.snapshot().queue).toEqual([]);
    expect(e.offer(named('丙', '三'))).toBe('off');
    expect(synth.texts()).toEqual(['甲说：一']);
  });

  it('a platform that never reports the end does not stop the reading', () => {
    const e = engine();
    e.offer(named('甲', '一'));
    e.offer(named('乙', '二'));
    clock.advance(6000);
    expect(synth.texts()).toEqual(['甲说：一']); // a short line gets 5 s + 0.4 s a character
    clock.advance(1000);
    expect(synth.texts()).toEqual(['甲说：一', '乙说：二']);
  });

  it('a refused utterance counts as failed with the reason, and the reading goes on', () => {
    const e = engine();
    e.offer(named('甲', '一'));
    e.offer(named('乙', '二'));
    const first = synth.current!;
    synth.current = null;
    first.onerror?.({ error: 'not-allowed' });
    expect(e.snapshot().counts.failed).toBe(1);
    expect(e.snapshot().lastError).toBe('not-allowed');
    expect((synth.current as UtteranceLike | null)?.text).toBe('乙说：二');
  });

  it('without a platform speech engine it reads nothing and says so', () => {
    const e = new ReadAloudEngine({ synth: null, makeUtterance: null, clock, settings: { ...DEFAULT_READ_ALOUD, enabled: true } });
    expect(e.offer(named('甲', '一'))).toBe('off');
    expect(e.snapshot().supported).toBe(false);
  });
});

describe('pickVoice', () => {
  const v = (voiceURI: string, lang: string, localService = false): VoiceLike => ({ voiceURI, name: voiceURI, lang, localService });
  it('prefers the chosen voice, then zh-CN, then any Chinese voice, else none', () => {
    const voices = [v('en', 'en-US'), v('tw', 'zh-TW'), v('cn-net', 'zh-CN'), v('cn-local', 'zh_CN', true)];
    expect(pickVoice(voices, 'en')?.voiceURI).toBe('en');
    expect(pickVoice(voices, '')?.voiceURI).toBe('cn-local');
    expect(pickVoice(voices, 'gone')?.voiceURI).toBe('cn-local');
    expect(pickVoice([v('en', 'en-US'), v('tw', 'zh-TW')], '')?.voiceURI).toBe('tw');
    expect(pickVoice([v('en', 'en-US')], '')).toBeNull();
  });
});
