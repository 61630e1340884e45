import type { ApiClient } from '@/lib/api-client';
import type { HealthResponse } from '@/types/api';

export function getHealth(api: ApiClient, signal?: AbortSignal): Promise<HealthResponse> {
  return api.get<HealthResponse>('/health', { anonymous: true, signal, timeoutMs: 4000, retries: 0 });
}
