import type { ApiClient } from '@/lib/api-client';
import type { DouyinMoveResponse } from '@/types/api';

/**
 * Move a running room to another live worker (docs/contracts.md, Workers on several machines): the same session goes
 * on there from its cursor, within about 2 s. 404: unknown session or worker; 409: already there, or that worker is full.
 */
export function moveRoom(api: ApiClient, sessionId: string, workerId: string): Promise<DouyinMoveResponse> {
  return api.post<DouyinMoveResponse>('/api/douyin/move', { session_id: sessionId, worker_id: workerId }, { timeoutMs: 20000 });
}
