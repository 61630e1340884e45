import type { ApiClient } from '@/lib/api-client';
import type { AstStartRequest, AstStatusResponse, SessionsResponse, StartResponse, SuccessResponse, TranscriptsResponse, VocabularyResponse } from '@/types/api';

export function getAstStatus(api: ApiClient, signal?: AbortSignal): Promise<AstStatusResponse> {
  return api.get<AstStatusResponse>('/api/ast/status', { signal });
}

export function startAst(api: ApiClient, req: AstStartRequest): Promise<StartResponse> {
  return api.post<StartResponse>('/api/ast/start', req, { timeoutMs: 30000 });
}

export function stopAst(api: ApiClient, sessionId: string): Promise<SuccessResponse> {
  return api.post<SuccessResponse>('/api/ast/stop', { session_id: sessionId }, { timeoutMs: 15000 });
}

export function getTranscripts(api: ApiClient, sessionId: string, signal?: AbortSignal): Promise<TranscriptsResponse> {
  return api.get<TranscriptsResponse>(`/api/sessions/${encodeURIComponent(sessionId)}/transcripts`, { signal });
}

export function getVoiceSessions(api: ApiClient, signal?: AbortSignal): Promise<SessionsResponse> {
  return api.get<SessionsResponse>('/api/sessions', { signal });
}

export function getVocabulary(api: ApiClient, room: string, signal?: AbortSignal): Promise<VocabularyResponse> {
  return api.get<VocabularyResponse>('/api/ast/vocabulary', { query: { room }, signal });
}

export function saveVocabulary(api: ApiClient, room: string, words: string[]): Promise<VocabularyResponse> {
  return api.put<VocabularyResponse>('/api/ast/vocabulary', { room, words });
}
