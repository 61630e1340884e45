import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from '@/lib/api-client';
import { ApiProvider } from '@/lib/api-context';
import { useAppStore } from '@/stores/app-store';

function useThemeAndLang(): void {
  const theme = useAppStore((s) => s.theme);
  const lang = useAppStore((s) => s.lang);
  useEffect(() => {
    const root = document.documentElement;
    root.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  useEffect(() => {
    const root = document.documentElement;
    const media = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
    const apply = () => root.classList.toggle('dark', theme === 'dark' || (theme === 'system' && Boolean(media?.matches)));
    apply();
    if (theme !== 'system' || !media) return;
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}

/** In the Electron shell, the preload hands over the gateway address and the token. */
function useDesktopBootstrap(): boolean {
  const [ready, setReady] = useState(() => !window.timao);
  useEffect(() => {
    const bridge = window.timao;
    if (!bridge) return;
    let alive = true;
    bridge
      .getConfig()
      .then((cfg) => {
        const s = useAppStore.getState();
        s.setGatewayUrl(cfg.gatewayUrl);
        if (cfg.token) s.login(cfg.token, true);
      })
      .catch(() => undefined)
      .finally(() => alive && setReady(true));
    return () => {
      alive = false;
    };
  }, []);
  return ready;
}

export function AppProvider({ children, fetchImpl }: { children: ReactNode; fetchImpl?: typeof fetch }) {
  const client = useMemo(
    () =>
      new ApiClient({
        getConfig: () => {
          const s = useAppStore.getState();
          return { baseUrl: s.gatewayUrl, token: s.token };
        },
        fetchImpl,
      }),
    [fetchImpl],
  );
  useThemeAndLang();
  const ready = useDesktopBootstrap();
  if (!ready) return null;
  return <ApiProvider client={client}>{children}</ApiProvider>;
}
