import { ApiClient, ApiError, type ApiConfig } from '@/lib/api-client';
import type { SessionsResponse } from '@/types/api';

/**
 * Checks a token against the gateway before it is kept. Any answer but 401/403 proves the token
 * (a 503 only says a service is not running yet).
 */
export async function checkToken(config: ApiConfig, fetchImpl?: typeof fetch): Promise<void> {
  const api = new ApiClient({ getConfig: () => config, fetchImpl, retries: 0, timeoutMs: 5000 });
  try {
    await api.get<SessionsResponse>('/api/sessions');
  } catch (e) {
    if (e instanceof ApiError && (e.kind === 'unavailable' || e.kind === 'not_found')) return;
    throw e;
  }
}
