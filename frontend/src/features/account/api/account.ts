import type { ApiClient } from '@/lib/api-client';
import type { DouyinAccountView } from '@/types/api';

const PATH = '/api/douyin/account';

export function getAccount(api: ApiClient, signal?: AbortSignal): Promise<DouyinAccountView> {
  return api.get<DouyinAccountView>(PATH, { signal });
}

/** Import a pasted cookie string; the server checks it holds a login session (422 with the reason if not). */
export function importCookie(api: ApiClient, cookie: string): Promise<DouyinAccountView> {
  return api.put<DouyinAccountView>(PATH, { cookie }, { timeoutMs: 20000, retries: 0 });
}

/** Opens the login window (in the suite's browser); answers at once with `login_pending`. */
export function startLogin(api: ApiClient): Promise<DouyinAccountView> {
  return api.post<DouyinAccountView>(`${PATH}/login`, {}, { timeoutMs: 15000 });
}

export function logoutAccount(api: ApiClient): Promise<DouyinAccountView> {
  return api.request<DouyinAccountView>('DELETE', PATH, { timeoutMs: 20000 });
}
