import type { ApiClient } from '@/lib/api-client';
import type {
  GiftRankingResponse,
  HotWordsResponse,
  QuestionsResponse,
  SessionsResponse,
  StatsResponse,
  TopChattersResponse,
} from '@/types/api';

const enc = encodeURIComponent;

export function getSessions(api: ApiClient, signal?: AbortSignal): Promise<SessionsResponse> {
  return api.get<SessionsResponse>('/api/sessions', { signal });
}

export function getStats(api: ApiClient, id: string, resolution = 60, signal?: AbortSignal): Promise<StatsResponse> {
  return api.get<StatsResponse>(`/api/sessions/${enc(id)}/stats`, { query: { resolution }, signal });
}

export function getGiftRanking(api: ApiClient, id: string, signal?: AbortSignal): Promise<GiftRankingResponse> {
  return api.get<GiftRankingResponse>(`/api/sessions/${enc(id)}/gifts/ranking`, { signal });
}

export function getTopChatters(api: ApiClient, id: string, signal?: AbortSignal): Promise<TopChattersResponse> {
  return api.get<TopChattersResponse>(`/api/sessions/${enc(id)}/chatters/top`, { signal });
}

export function getHotWords(api: ApiClient, id: string, windowSeconds = 300, signal?: AbortSignal): Promise<HotWordsResponse> {
  return api.get<HotWordsResponse>(`/api/sessions/${enc(id)}/hotwords`, { query: { window: windowSeconds }, signal });
}

export function getQuestions(api: ApiClient, id: string, signal?: AbortSignal): Promise<QuestionsResponse> {
  return api.get<QuestionsResponse>(`/api/sessions/${enc(id)}/questions`, { signal });
}
