/**
 * Types of the gateway's HTTP API and of the `/ws` live events (see docs/contracts.md, docs/api/).
 * Every shape is "at least these fields": unknown fields are kept and ignored, and string
 * enums are open (`OpenString`) so a newer backend never breaks the UI.
 */

/** A string union that still accepts values the UI does not know yet. */
export type OpenString<T extends string> = T | (string & { readonly __open?: never });

export interface ErrorBody {
  detail: unknown;
}

// ---------------------------------------------------------------- health
export type OverallStatus = OpenString<'ok' | 'degraded' | 'down'>;
export type ServiceStatusName = OpenString<
  'ok' | 'running' | 'starting' | 'backoff' | 'stopping' | 'stopped' | 'exited' | 'fatal' | 'down' | 'degraded'
>;

export interface ServiceHealth {
  status: ServiceStatusName;
  pid?: number | null;
  port?: number | null;
  restarts?: number;
  last_heartbeat?: number | string | null;
  reason?: string | null;
}

export interface HealthResponse {
  status: OverallStatus;
  services: Record<string, ServiceHealth>;
}

// ---------------------------------------------------------------- douyin
export type DouyinState = OpenString<'starting' | 'connecting' | 'connected' | 'reconnecting' | 'stopped' | 'error' | 'ended'>;

export interface DouyinSession {
  session_id: string;
  live_id: string;
  room_id?: string | null;
  state: DouyinState;
  title?: string | null;
  anchor?: string | null;
  error?: string | null;
  /** false: the room runs as a guest (no gifts, masked names); `reason` says so */
  logged_in?: boolean | null;
  reason?: string | null;
}

/** `GET /api/douyin/account`: the streamer's own Douyin login (never its cookies). */
export interface DouyinAccountView {
  logged_in: boolean;
  nickname: string | null;
  source: 'browser' | 'cookie' | null;
  user_id?: string | null;
  saved_at_ms?: number | null;
  /** a login window is open and waiting for the QR scan */
  login_pending: boolean;
  /** why the last login window failed (timeout, window closed, no browser) */
  login_error: string | null;
}

export interface DouyinStatusResponse {
  sessions: DouyinSession[];
}

export interface StartResponse {
  success: boolean;
  session_id: string;
  /** The room's live id, once the server has followed whatever link was pasted (Douyin rooms). */
  live_id?: string;
}

export interface SuccessResponse {
  success: boolean;
}

// ---------------------------------------------------------------- sessions / analytics
export interface LiveSessionInfo {
  id: string;
  platform: OpenString<'douyin' | 'file' | 'url'>;
  live_id?: string | null;
  title?: string | null;
  status: OpenString<'live' | 'ended' | 'running' | 'stopped'>;
  started_at?: number | string | null;
  ended_at?: number | string | null;
}

export interface SessionsResponse {
  sessions: LiveSessionInfo[];
}

export interface StatsPoint {
  /** bucket start, ms since the epoch */
  t: number;
  online: number | null;
  comments: number;
  likes: number;
  gifts: number;
  diamonds: number;
  follows: number;
}

export interface StatsResponse {
  series: StatsPoint[];
}

export interface GiftRankEntry {
  user_id: string;
  nickname: string;
  diamonds: number;
  gifts: number;
}

export interface GiftRankingResponse {
  ranking: GiftRankEntry[];
}

export interface ChatterEntry {
  user_id: string;
  nickname: string;
  count: number;
}

export interface TopChattersResponse {
  chatters: ChatterEntry[];
}

export interface HotWord {
  word: string;
  count: number;
}

export interface HotWordsResponse {
  words: HotWord[];
}

export interface QuestionEntry {
  msg_id: string;
  user_name: string;
  content: string;
  ts: number;
}

export interface QuestionsResponse {
  questions: QuestionEntry[];
}

export interface CommentEntry {
  msg_id: string;
  user_name: string;
  user_id: string;
  content: string;
  ts: number;
  /** A masked viewer: empty user_id, never one person (docs/protocol/douyin.md §4.1). */
  masked?: boolean;
}

export interface CommentsResponse {
  comments: CommentEntry[];
}

export interface TranscriptEntry {
  text: string;
  start_ms: number;
  end_ms: number;
  confidence?: number | null;
  language?: string | null;
}

export interface TranscriptsResponse {
  transcripts: TranscriptEntry[];
}

// ---------------------------------------------------------------- streamcap
/** StreamCap's recorder states (services/streamcap/recorder.py). */
export type RecordingState = OpenString<
  'idle' | 'starting' | 'recording' | 'stalled' | 'restarting' | 'stopping' | 'remuxing' | 'done' | 'failed'
>;
export type RecordingPlatform = OpenString<'douyin' | 'direct'>;

export interface RecordingFile {
  path: string;
  size: number;
  duration: number | null;
}

export interface Recording {
  recording_id: string;
  state: RecordingState;
  files: RecordingFile[];
  platform?: RecordingPlatform;
  stream_url?: string | null;
  /** what is recorded (room URL or stream URL), as StreamCap reports it */
  source?: string | null;
  room_id?: string | null;
  quality?: string | null;
  folder?: string | null;
  /** seconds and bytes over all files, when the recorder reports totals */
  duration?: number | null;
  bytes?: number | null;
  restarts?: number;
  started_at?: number | string | null;
  ended_at?: number | string | null;
  /** why it failed or stopped */
  reason?: string | null;
  error?: string | null;
}

export interface StreamcapRoom {
  id: string;
  platform: string;
  url: string;
  name?: string | null;
  quality?: string | null;
  status?: OpenString<'recording' | 'idle'>;
  recording_id?: string | null;
}

export interface StreamcapRoomsResponse {
  rooms: StreamcapRoom[];
}

export interface RecordingsResponse {
  recordings: Recording[];
}

export interface StartRecordingRequest {
  platform: RecordingPlatform;
  stream_url: string;
  quality?: string;
  segment_seconds?: number;
}

export interface StartRecordingResponse {
  success: boolean;
  recording_id: string;
}

// ---------------------------------------------------------------- ast
export type AstEngine = OpenString<'whisper' | 'sensevoice' | 'funasr'>;
export type AstLanguage = OpenString<'zh' | 'en' | 'auto'>;

export type AudioConfig =
  | { source: 'session'; session_id: string }
  | { source: 'url'; url: string }
  | { source: 'file'; path: string };

export interface ModelConfig {
  engine: AstEngine;
  language: AstLanguage;
  model?: string;
  /** the room's own words (热词): products, catchphrases, names; at most 50 of at most 30 characters */
  hotwords?: string[];
}

/** `GET/PUT /api/ast/vocabulary`: a room's hot words (`room` is a live id, or `default` for other sources). */
export interface VocabularyResponse {
  room: string;
  words: string[];
}

export interface AstStartRequest {
  audio_config: AudioConfig;
  model_config?: ModelConfig;
}

export interface AstJob {
  session_id: string;
  state: OpenString<'starting' | 'running' | 'stopping' | 'stopped' | 'error'>;
  source?: string | null;
  engine?: string | null;
  model?: string | null;
  error?: string | null;
}

export interface AstStatusResponse {
  jobs: AstJob[];
  engine?: string | null;
  model?: string | null;
  rtf?: number | null;
  queue_depth?: number | null;
  last_error?: string | null;
}

// ---------------------------------------------------------------- settings
/** Server settings: known keys typed, any other key shown as read-only text. */
export interface ServerSettings {
  gateway_port?: number;
  streamcap_port?: number;
  recordings_dir?: string | null;
  recording_quality?: string | null;
  ast_engine?: string | null;
  ast_model?: string | null;
  log_level?: string;
  [key: string]: unknown;
}
