import type { ApiClient } from '@/lib/api-client';
import type { WorkersResponse } from '@/types/api';

/** The live workers (docs/contracts.md, Workers on several machines): id, host, rooms, capacity, last heartbeat. */
export function getWorkers(api: ApiClient, signal?: AbortSignal): Promise<WorkersResponse> {
  return api.get<WorkersResponse>('/api/workers', { signal });
}
