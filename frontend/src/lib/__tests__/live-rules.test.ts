import { describe, expect, it } from 'vitest';
import { chat, gift } from '@/testing/fake-api';
import {
  alertMatch,
  giftSendDiamonds,
  isEmojiOnly,
  isLink,
  isQuestion,
  matchKeyword,
  parseKeywords,
  repeatKey,
  speakable,
  speakableName,
  type AlertRules,
} from '../live-rules';
import type { GiftEvent } from '@/types/events';

describe('live rules: what a comment is', () => {
  it('tells links', () => {
    for (const t of ['https://example.com', '看 www.taobao.com 下单', 'v.douyin.com/AbC123', 'ｈｔｔｐ：／／ａ．ｃｎ', 'shop.example.cn/item']) expect(isLink(t), t).toBe(true);
    for (const t of ['求链接', '上链接上链接', '主播好！', '3.5元', 'Ünïcödé ✓']) expect(isLink(t), t).toBe(false);
  });

  it('tells emoji-only comments (Douyin brackets, Unicode, skin tones, ZWJ sequences)', () => {
    for (const t of ['[赞][赞][赞]', '👀', '👍🏻👍🏻', '👨‍👩‍👧', '[玫瑰] [玫瑰]！', '🇨🇳']) expect(isEmojiOnly(t), t).toBe(true);
    for (const t of ['666', '这个讲得太清楚了👍', '[赞]主播', '', '   ', 'Ünïcödé ✓ 好']) expect(isEmojiOnly(t), t).toBe(false);
  });

  it('tells questions', () => {
    for (const t of ['多少钱？', '这个怎么买', '发货了吗', '主播几点下播', '有没有优惠', 'how much?', 'What size', '能便宜点么[捂脸]']) expect(isQuestion(t), t).toBe(true);
    for (const t of ['主播好！', '666', '来了来了', '好看', '']) expect(isQuestion(t), t).toBe(false);
  });

  it('matches keywords across case and width, and parses typed keyword lists', () => {
    expect(matchKeyword('求ＬＩＮＫ', ['link'])).toBe('link');
    expect(matchKeyword('多少钱', ['链接', '钱'])).toBe('钱');
    expect(matchKeyword('主播好', ['链接'])).toBeNull();
    expect(matchKeyword('主播好', [])).toBeNull();
    expect(parseKeywords(' 链接，多少钱, 怎么买、链接  优惠 ')).toEqual(['链接', '多少钱', '怎么买', '优惠']);
    expect(parseKeywords('')).toEqual([]);
  });

  it('makes texts speakable and repeat keys comparable', () => {
    expect(speakable('𝓗𝓮𝓵𝓵𝓸 主播[赞]👍')).toBe('Hello 主播');
    expect(speakable('一'.repeat(100), 40)).toHaveLength(40);
    expect(repeatKey('哈哈哈哈哈！')).toBe(repeatKey('哈哈 哈'));
    expect(repeatKey('主播好')).not.toBe(repeatKey('主播好好看'));
    expect(speakableName({ id: '', nickname: '薛***', masked: true })).toBe('一位观众');
    expect(speakableName({ id: '1', nickname: '🌸花花🌸' })).toBe('花花');
    expect(speakableName({ id: '1', nickname: '👀' })).toBe('一位观众');
  });
});

describe('live rules: alerts', () => {
  const rules: AlertRules = { enabled: true, keywords: ['链接'], bigGiftDiamonds: 100, questions: true };

  it('a keyword wins over a question; questions only when asked for', () => {
    expect(alertMatch(chat('求链接？'), rules)).toEqual({ kind: 'keyword', keyword: '链接' });
    expect(alertMatch(chat('多少钱？'), rules)).toEqual({ kind: 'question' });
    expect(alertMatch(chat('多少钱？'), { ...rules, questions: false })).toBeNull();
    expect(alertMatch(chat('主播好'), rules)).toBeNull();
    expect(alertMatch(chat('求链接'), { ...rules, enabled: false })).toBeNull();
  });

  it('a gift alerts once its send (count × bundle × price) reaches the threshold', () => {
    const rose = (repeat: number) => gift({ name: '玫瑰', diamonds: 10, repeat }) as GiftEvent;
    expect(giftSendDiamonds(rose(9))).toBe(90);
    expect(alertMatch(rose(9), rules)).toBeNull();
    expect(alertMatch(rose(10), rules)).toEqual({ kind: 'gift' });
    const bundle = { ...rose(2), data: { ...rose(2).data, group_count: 66 } } as GiftEvent;
    expect(giftSendDiamonds(bundle)).toBe(1320);
    expect(alertMatch(rose(50), { ...rules, bigGiftDiamonds: 0 })).toBeNull();
  });
});
