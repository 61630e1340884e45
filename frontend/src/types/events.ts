/** The `/ws` live events, one JSON object per text message (docs/contracts.md, Live events). */

export interface LiveUser {
  id: string;
  nickname: string;
  gender?: number;
  display_id?: string;
  /** A viewer the platform masks (用户****): empty id, never one person (docs/protocol/douyin.md §4.1). */
  masked?: boolean;
}

interface EventBase<T extends string, D> {
  type: T;
  session_id: string;
  live_id?: string;
  msg_id?: string;
  ts: number;
  user?: LiveUser | null;
  data: D;
}

export type ChatEvent = EventBase<'chat', { content: string }>;
export type EmojiChatEvent = EventBase<'emoji_chat', { emoji_id?: string; content: string }>;
export type GiftEvent = EventBase<
  'gift',
  {
    gift_id: string;
    gift_name: string;
    diamond_count: number;
    group_count: number;
    combo_count: number;
    repeat_count: number;
    repeat_end: boolean | number;
    group_id: string;
    delta: number;
  }
>;
export type LikeEvent = EventBase<'like', { count: number; total: number }>;
export type MemberEvent = EventBase<'member', { member_count: number }>;
export type FollowEvent = EventBase<'follow', Record<string, never>>;
export type ShareEvent = EventBase<'share', Record<string, never>>;
export type RoomStatsEvent = EventBase<'room_stats', { online: number; total_pv?: number | string; display?: string }>;
export type FansclubEvent = EventBase<'fansclub', { kind?: number | string; content: string }>;
export type ControlEvent = EventBase<'control', { status: 'paused' | 'resumed' | 'ended' | 'banned' | string }>;
export type RoomRankEvent = EventBase<'room_rank', Record<string, unknown>>;
export type TranscriptEvent = EventBase<
  'transcript',
  { text: string; start_ms: number; end_ms: number; confidence?: number; language?: string }
>;
export type RecordingEvent = EventBase<'recording', { recording_id: string; state: string; file?: string | null }>;
export type ServiceEvent = EventBase<'service', { service: string; state: string; reason?: string }>;
/** A transcription job changed state (its session is the event's); `worker_id` runs it. */
export type AstJobEvent = EventBase<
  'ast_job',
  { state: string; previous?: string | null; worker_id?: string; source?: string; last_error?: string | null }
>;

/** The show so far, from the gateway's stored aggregates (counts since the start; `online` the latest). */
export interface ShowTotals {
  comments?: number;
  likes?: number;
  follows?: number;
  shares?: number;
  members?: number;
  gifts?: number;
  diamonds?: number;
  chatters?: number;
  peak_online?: number | null;
  online?: number | null;
  [key: string]: number | null | undefined;
}

/** `/ws` only, at most once a second per session: never stored, never in the feed (docs/contracts.md). */
export type StatsEvent = EventBase<'stats', { totals: ShowTotals; minute?: Record<string, number | null> | null }>;

export type LiveEvent =
  | ChatEvent
  | EmojiChatEvent
  | GiftEvent
  | LikeEvent
  | MemberEvent
  | FollowEvent
  | ShareEvent
  | RoomStatsEvent
  | FansclubEvent
  | ControlEvent
  | RoomRankEvent
  | TranscriptEvent
  | RecordingEvent
  | ServiceEvent
  | AstJobEvent
  | StatsEvent;

export type LiveEventType = LiveEvent['type'];

export const LIVE_EVENT_TYPES: readonly LiveEventType[] = [
  'chat',
  'emoji_chat',
  'gift',
  'like',
  'member',
  'follow',
  'share',
  'room_stats',
  'fansclub',
  'control',
  'room_rank',
  'transcript',
  'recording',
  'service',
  'ast_job',
  'stats',
] as const;

const TYPE_SET: ReadonlySet<string> = new Set(LIVE_EVENT_TYPES);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks the envelope of one message and returns it typed, or null for anything that is not a
 * known live event. The data payload is normalised to an object; its fields are read defensively.
 */
export function parseLiveEvent(raw: unknown): LiveEvent | null {
  if (!isRecord(raw)) return null;
  const { type, ts } = raw;
  if (typeof type !== 'string' || !TYPE_SET.has(type)) return null;
  const tsNum = typeof ts === 'number' ? ts : Number(ts);
  if (!Number.isFinite(tsNum)) return null;
  const user = isRecord(raw.user)
    ? {
        id: String(raw.user.id ?? ''),
        nickname: String(raw.user.nickname ?? ''),
        gender: typeof raw.user.gender === 'number' ? raw.user.gender : undefined,
        display_id: raw.user.display_id == null ? undefined : String(raw.user.display_id),
        masked: raw.user.masked === true ? true : undefined,
      }
    : null;
  return {
    ...raw,
    type,
    ts: tsNum,
    session_id: String(raw.session_id ?? ''),
    msg_id: raw.msg_id == null ? undefined : String(raw.msg_id),
    user,
    data: isRecord(raw.data) ? raw.data : {},
  } as LiveEvent;
}
