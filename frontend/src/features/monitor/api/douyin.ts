import type { ApiClient } from '@/lib/api-client';
import type { DouyinStatusResponse, StartResponse, SuccessResponse } from '@/types/api';

export function getDouyinStatus(api: ApiClient, signal?: AbortSignal): Promise<DouyinStatusResponse> {
  return api.get<DouyinStatusResponse>('/api/douyin/status', { signal });
}

export function startDouyin(api: ApiClient, liveId: string): Promise<StartResponse> {
  return api.post<StartResponse>('/api/douyin/start', { live_id: liveId }, { timeoutMs: 20000 });
}

export function stopDouyin(api: ApiClient, sessionId: string): Promise<SuccessResponse> {
  return api.post<SuccessResponse>('/api/douyin/stop', { session_id: sessionId }, { timeoutMs: 15000 });
}
