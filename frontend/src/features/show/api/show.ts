import type { ApiClient } from '@/lib/api-client';

/** Answers of the lucky-draw and viewer-history routes (docs/api/, contracts "lucky draws, viewers"). */
export interface DrawWinner {
  user_id: string;
  nickname: string;
}

export interface DrawResult {
  draw_id: string;
  session_id: string;
  keyword: string;
  since_ms: number;
  until_ms: number;
  winners_wanted: number;
  entrants: number;
  winners: DrawWinner[];
  seed: number;
  created_ms: number;
}

export interface DrawRequest {
  keyword: string;
  since_ms: number;
  until_ms: number;
  winners: number;
  seed?: number;
}

export interface ViewerHistory {
  user_id: string;
  nickname: string;
  sessions: Array<{
    session_id: string;
    title: string | null;
    anchor_name: string | null;
    live_id: string | null;
    first_ts: number;
    last_ts: number;
    comments: number;
    gift_messages: number;
  }>;
  comments: Array<{ session_id: string; msg_id: string; content: string; ts: number }>;
  gifts: Array<{ session_id: string; msg_id: string; ts: number; gift_name: string; count: number; diamonds: number }>;
  follows: Array<{ session_id: string; ts: number }>;
  diamonds: number;
  first_seen: number;
  last_seen: number;
}

const enc = encodeURIComponent;

export function runDraw(api: ApiClient, sessionId: string, body: DrawRequest): Promise<DrawResult> {
  return api.post<DrawResult>(`/api/sessions/${enc(sessionId)}/draws`, body);
}

export function listDraws(api: ApiClient, sessionId: string, signal?: AbortSignal): Promise<{ draws: DrawResult[] }> {
  return api.get<{ draws: DrawResult[] }>(`/api/sessions/${enc(sessionId)}/draws`, { signal });
}

export function getViewer(api: ApiClient, userId: string, signal?: AbortSignal): Promise<ViewerHistory> {
  return api.get<ViewerHistory>(`/api/viewers/${enc(userId)}`, { signal });
}
