import type { ApiClient } from '@/lib/api-client';
import type { ServerSettings } from '@/types/api';

export function getSettings(api: ApiClient, signal?: AbortSignal): Promise<ServerSettings> {
  return api.get<ServerSettings>('/api/settings', { signal });
}

/** Sends only the changed keys. */
export function putSettings(api: ApiClient, patch: Partial<ServerSettings>): Promise<ServerSettings> {
  return api.put<ServerSettings>('/api/settings', patch);
}
