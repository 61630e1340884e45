import { useEffect } from 'react';
import { create } from 'zustand';
import { isApiError, type ApiClient } from '@/lib/api-client';
import { useApi } from '@/lib/api-context';
import type { DouyinAccountView } from '@/types/api';
import { getAccount } from './api/account';

/**
 * The streamer's Douyin account as every part of the UI shows it (header, settings, room bar):
 * one copy, refreshed by whoever changes it, polled faster while a login window is open.
 */
interface AccountState {
  account: DouyinAccountView | null;
  /** why the account could not be read (null when it could) */
  error: string | null;
  set(account: DouyinAccountView): void;
  fail(error: string): void;
}

export const useAccountStore = create<AccountState>((set) => ({
  account: null,
  error: null,
  set: (account) => set({ account, error: null }),
  fail: (error) => set({ error }),
}));

export async function refreshAccount(api: ApiClient, signal?: AbortSignal): Promise<void> {
  try {
    useAccountStore.getState().set(await getAccount(api, signal));
  } catch (e) {
    if (isApiError(e) && e.kind === 'aborted') return;
    useAccountStore.getState().fail(isApiError(e) ? e.detail || e.kind : String(e));
  }
}

export const POLL_MS = 5000;
export const PENDING_POLL_MS = 1000;

/** Loads the account now and keeps it fresh while mounted. */
export function useAccountPolling(): DouyinAccountView | null {
  const api = useApi();
  const account = useAccountStore((s) => s.account);
  const pending = account?.login_pending ?? false;
  useEffect(() => {
    const controller = new AbortController();
    void refreshAccount(api, controller.signal);
    const timer = setInterval(() => void refreshAccount(api, controller.signal), pending ? PENDING_POLL_MS : POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [api, pending]);
  return account;
}
