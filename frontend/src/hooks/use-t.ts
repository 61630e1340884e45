import { useCallback } from 'react';
import { useAppStore } from '@/stores/app-store';
import { translate, translateOptional, type MessageKey, type TFunction, type TParams } from '@/lib/i18n';

export function useT(): TFunction {
  const lang = useAppStore((s) => s.lang);
  return useCallback((key: MessageKey, params?: TParams) => translate(lang, key, params), [lang]);
}

/** For names the backend decides (services, states): translated when known, else shown as is. */
export function useTOptional(): (key: string, fallback: string) => string {
  const lang = useAppStore((s) => s.lang);
  return useCallback((key: string, fallback: string) => translateOptional(lang, key, fallback), [lang]);
}
