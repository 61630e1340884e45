import type { GiftEvent, LiveEvent, LiveUser } from '@/types/events';

/**
 * What read-aloud (语音播报) and the alerts both need to know about a live event: is a comment a link, only
 * emoji, a question, does it hold a keyword, what is a gift send worth. Pure functions, no state.
 */

/** Douyin's own emoji travel as text in brackets: "[赞]", "[玫瑰]". */
const BRACKET_EMOJI = /\[[^[\]\s]{1,8}\]/gu;
/** Pictographs and what glues them together (ZWJ, variation selectors, skin tones, flags, keycaps). */
const PICTOGRAPHS = /[\p{Extended_Pictographic}\u{1F1E6}-\u{1F1FF}\u{1F3FB}-\u{1F3FF}\u200d\ufe0e\ufe0f\u20e3]/gu;
const SPACE_PUNCT_SYMBOL = /[\s\p{P}\p{S}]/gu;

const LINK =
  /(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|cc|io|top|xyz|me|vip|link|ly|co|tv|app|info|shop|site|live)\b(?:\/\S*)?/iu;

const QUESTION_MARK = /[?？]/u;
const QUESTION_WORDS =
  /怎么|怎样|咋|什么|啥|多少|哪里|哪儿|哪个|哪些|哪款|为什么|为啥|如何|能不能|可不可以|有没有|是不是|会不会|要不要|几点|几号|几个|几岁|多大|多久|多高|多重|多长/u;
const QUESTION_END = /(?:吗|嘛|么|呢|没)$/u;
const ENGLISH_QUESTION = /^(?:how|what|why|when|where|who|which|can|could|is|are|do|does|did|will|would)\b/iu;

/** Full-width letters, styled Unicode letters and ideographic spaces folded to their plain forms. */
export function fold(text: string): string {
  return text.normalize('NFKC');
}

export function isLink(text: string): boolean {
  return LINK.test(fold(text));
}

/** Nothing but emoji (Douyin's bracket emoji or Unicode), spaces and punctuation. */
export function isEmojiOnly(text: string): boolean {
  const folded = fold(text);
  if (!folded.trim()) return false;
  return folded.replace(BRACKET_EMOJI, '').replace(PICTOGRAPHS, '').replace(SPACE_PUNCT_SYMBOL, '') === '';
}

export function isQuestion(text: string): boolean {
  const t = fold(text).trim();
  if (!t) return false;
  if (QUESTION_MARK.test(t)) return true;
  if (QUESTION_WORDS.test(t)) return true;
  const bare = t.replace(BRACKET_EMOJI, '').replace(PICTOGRAPHS, '').replace(SPACE_PUNCT_SYMBOL, '');
  return QUESTION_END.test(bare) || ENGLISH_QUESTION.test(t);
}

/** The first keyword the text holds (case and width folded), or null. */
export function matchKeyword(text: string, keywords: readonly string[]): string | null {
  if (keywords.length === 0) return null;
  const t = fold(text).toLowerCase();
  for (const k of keywords) {
    const key = fold(k).trim().toLowerCase();
    if (key && t.includes(key)) return k;
  }
  return null;
}

/** Keywords typed by a person: split on commas (either width), 、 or spaces; empty and repeated ones left out. */
export function parseKeywords(input: string, max = 50): string[] {
  const out: string[] = [];
  for (const part of input.split(/[,，、;；\s]+/u)) {
    const k = part.trim().slice(0, 20);
    if (k && !out.includes(k)) out.push(k);
    if (out.length >= max) break;
  }
  return out;
}

/** The key that tells one text from another when repeated: folded, no case, spaces, punctuation or emoji, runs shortened. */
export function repeatKey(text: string): string {
  return fold(text)
    .toLowerCase()
    .replace(BRACKET_EMOJI, '')
    .replace(PICTOGRAPHS, '')
    .replace(SPACE_PUNCT_SYMBOL, '')
    .replace(/(.)\1{2,}/gu, '$1$1');
}

/** A text fit to be spoken: no emoji, plain letters, single spaces, at most `max` characters. */
export function speakable(text: string, max = 40): string {
  const t = fold(text).replace(BRACKET_EMOJI, ' ').replace(PICTOGRAPHS, ' ').replace(/\s+/gu, ' ').trim();
  const chars = [...t];
  return chars.length > max ? chars.slice(0, max).join('') : t;
}

/** A viewer's name as spoken: masked or emoji-only names become "一位观众". */
export function speakableName(user: LiveUser | null | undefined): string {
  if (!user || user.masked) return '一位观众';
  const name = speakable(user.nickname.replace(/\*+/gu, ''), 12);
  return name || '一位观众';
}

/** The count a gift message stands for: cumulative within its combo (docs/protocol/douyin.md §5). */
export function giftCount(ev: GiftEvent): number {
  const d = ev.data;
  return Math.max(Number(d.repeat_count) || 0, Number(d.combo_count) || 0, 1);
}

/** How many gifts the send holds so far (combo count × bundle size). */
export function giftUnits(ev: GiftEvent): number {
  return giftCount(ev) * Math.max(1, Number(ev.data.group_count) || 1);
}

/** Diamonds of the whole send so far: units × the gift's price. */
export function giftSendDiamonds(ev: GiftEvent): number {
  return giftUnits(ev) * Math.max(0, Number(ev.data.diamond_count) || 0);
}

/** One send is one (session, viewer, gift, group): its combo's messages share the key (docs/protocol/douyin.md §5). */
export function giftSendKey(ev: GiftEvent): string {
  return `${ev.session_id}:${ev.user?.id ?? ''}:${ev.data.gift_id}:${ev.data.group_id ?? ''}`;
}

export function isComboEnd(ev: GiftEvent): boolean {
  return Boolean(ev.data.repeat_end);
}

export type AlertKind = 'keyword' | 'gift' | 'question';

export interface AlertRules {
  enabled: boolean;
  keywords: readonly string[];
  /** a gift send worth at least this many diamonds alerts; 0 = gifts never alert */
  bigGiftDiamonds: number;
  questions: boolean;
}

export interface AlertMatch {
  kind: AlertKind;
  keyword?: string;
}

/**
 * Whether one event is worth an alert, and why. Stateless, so the live feed can highlight any row it shows; a gift
 * message alerts once its send has reached the threshold (every later message of that combo too: the alert list
 * keeps one per send).
 */
export function alertMatch(ev: LiveEvent, rules: AlertRules): AlertMatch | null {
  if (!rules.enabled) return null;
  if (ev.type === 'gift') {
    return rules.bigGiftDiamonds > 0 && giftSendDiamonds(ev) >= rules.bigGiftDiamonds ? { kind: 'gift' } : null;
  }
  if (ev.type !== 'chat') return null;
  const text = ev.data.content ?? '';
  const keyword = matchKeyword(text, rules.keywords);
  if (keyword !== null) return { kind: 'keyword', keyword };
  if (rules.questions && isQuestion(text)) return { kind: 'question' };
  return null;
}
