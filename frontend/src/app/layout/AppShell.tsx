import { NavLink, Outlet } from 'react-router-dom';
import { AccountBadge } from '@/features/account/components/AccountBadge';
import { HealthStrip, useHealthPolling } from '@/features/health/components/HealthStrip';
import { ViewerCard } from '@/features/show/components/ViewerCard';
import { ReadAloudRunner } from '@/features/readaloud/components/ReadAloudRunner';
import { AlertsRunner } from '@/features/alerts/components/AlertsRunner';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import type { MessageKey } from '@/lib/i18n';
import { useLiveConnection } from '../use-live-connection';
import type { WebSocketFactory } from '@/lib/ws-client';

const NAV: ReadonlyArray<{ to: string; label: MessageKey }> = [
  { to: '/', label: 'nav.monitor' },
  { to: '/dashboard', label: 'nav.dashboard' },
  { to: '/voice-transcription', label: 'nav.voice' },
  { to: '/recording', label: 'nav.recording' },
  { to: '/workers', label: 'nav.workers' },
  { to: '/settings', label: 'nav.settings' },
];

export function AppShell({ createSocket }: { createSocket?: WebSocketFactory }) {
  const t = useT();
  const lang = useAppStore((s) => s.lang);
  const setLang = useAppStore((s) => s.setLang);
  const logout = useAppStore((s) => s.logout);
  const wsState = useAppStore((s) => s.ws.state);
  useHealthPolling();
  useLiveConnection(createSocket);

  return (
    <div className="flex h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-1">
        {t('app.skip')}
      </a>
      <header className="flex items-center gap-4 border-b border-slate-200 bg-white px-4 py-2 dark:border-slate-800 dark:bg-slate-900">
        <span className="text-base font-bold text-brand-600">🐱 {t('app.name')}</span>
        <nav aria-label={t('nav.main')}>
          <ul className="flex gap-1">
            {NAV.map((n) => (
              <li key={n.to}>
                <NavLink
                  to={n.to}
                  end={n.to === '/'}
                  className={({ isActive }) =>
                    `rounded-md px-3 py-1.5 text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 ${
                      isActive ? 'bg-brand-50 font-semibold text-brand-700 dark:bg-slate-800 dark:text-brand-400' : 'text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'
                    }`
                  }
                >
                  {t(n.label)}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <AccountBadge />
          <button
            type="button"
            onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
            className="rounded px-2 py-1 text-xs text-slate-600 ring-1 ring-slate-300 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 dark:text-slate-300 dark:ring-slate-600 dark:hover:bg-slate-800"
            data-testid="lang-toggle"
          >
            {t('lang.toggle')}
          </button>
          <button
            type="button"
            onClick={logout}
            className="rounded px-2 py-1 text-xs text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 dark:text-slate-300 dark:hover:bg-slate-800"
          >
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <HealthStrip />
      {wsState === 'unauthorized' && (
        <div role="alert" className="bg-rose-600 px-4 py-1.5 text-sm text-white">
          {t('ws.unauthorized')}{' '}
          <NavLink to="/login" className="underline">
            {t('nav.login')}
          </NavLink>
        </div>
      )}
      <main id="main" tabIndex={-1} className="min-h-0 flex-1 overflow-auto p-4 focus:outline-none">
        <Outlet />
      </main>
      <ViewerCard />
      {/* read-aloud and alerts follow the live events on every page */}
      <ReadAloudRunner />
      <AlertsRunner />
    </div>
  );
}
