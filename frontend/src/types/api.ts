/**
 * Types of the gateway's HTTP API and of the `/ws` live events (see docs/contracts.md, docs/api/).
 * Where the gateway's OpenAPI schema says exactly what the UI reads, the type is an alias of the generated one
 * (./openapi.gen.ts, `npm run gen:api`); the others stay "at least these fields" with open string enums
 * (`OpenString`), for answers a worker shapes (rooms, jobs, recordings) that the schema leaves open.
 */
import type { components } from './openapi.gen';

type Schemas = components['schemas'];

/** A string union that still accepts values the UI does not know yet. */
export type OpenString<T extends string> = T | (string & { readonly __open?: never });

export type ErrorBody = Schemas['ErrorBody'];

// ---------------------------------------------------------------- workers (docs/contracts.md)
export type WorkerView = Schemas['WorkerView'];
export type WorkersResponse = Schemas['WorkersResponse'];
export type DouyinMoveResponse = Schemas['DouyinMoveResponse'];

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
export type DouyinAccountView = Schemas['AccountView'];

export interface DouyinStatusResponse {
  sessions: DouyinSession[];
}

export interface StartResponse {
  success: boolean;
  session_id: string;
  /** The room's live id, once the server has followed whatever link was pasted (Douyin rooms). */
  live_id?: string;
}

export type SuccessResponse = Schemas['SuccessResponse'];

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

export type GiftRankEntry = Schemas['GiftRank'];

export type GiftRankingResponse = Schemas['GiftRankingResponse'];

export type ChatterEntry = Schemas['Chatter'];

export type TopChattersResponse = Schemas['ChattersResponse'];

export type HotWord = Schemas['HotWord'];

export type HotWordsResponse = Schemas['HotWordsResponse'];

export type QuestionEntry = Schemas['Question'];

export type QuestionsResponse = Schemas['QuestionsResponse'];

export type CommentEntry = Schemas['Comment'];

export type CommentsResponse = Schemas['CommentsResponse'];

export type TranscriptEntry = Schemas['Transcript'];

export type TranscriptsResponse = Schemas['TranscriptsResponse'];

// ---------------------------------------------------------------- streamcap
/** StreamCap's recorder states (services/streamcap/recorder.py). */
export type RecordingState = OpenString<
  'idle' | 'starting' | 'recording' | 'stalled' | 'restarting' | 'stopping' | 'remuxing' | 'done' | 'failed'
>;
export type RecordingPlatform = OpenString<'douyin' | 'direct'>;

/** A recording and its files: the one shape (shared/commands/streamcap.py) StreamCap and the gateway answer. */
export type RecordingFile = Schemas['RecordingFile'];
export type Recording = Schemas['Recording'];

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

export type RecordingsResponse = Schemas['RecordingsResponse'];

export interface StartRecordingRequest {
  platform: RecordingPlatform;
  stream_url: string;
  quality?: string;
  segment_seconds?: number;
}

export type StartRecordingResponse = Schemas['RecordingStartResponse'];

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
export type VocabularyResponse = Schemas['VocabularyResponse'];

export interface AstStartRequest {
  audio_config: AudioConfig;
  model_config?: ModelConfig;
}

export interface AstJob {
  session_id: string;
  state: OpenString<'starting' | 'resuming' | 'running' | 'reconnecting' | 'stopping' | 'stopped' | 'unowned' | 'error'>;
  source?: string | null;
  /** The worker that runs it (GET /api/workers); null while it is between owners (`unowned`). */
  worker_id?: string | null;
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
