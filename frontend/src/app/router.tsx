import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, HashRouter, MemoryRouter, Navigate, Route, Routes } from 'react-router-dom';
import { useAppStore } from '@/stores/app-store';
import type { WebSocketFactory } from '@/lib/ws-client';
import { AppShell } from './layout/AppShell';
import { LoginRoute } from './routes/login';
import { MonitorRoute } from './routes/monitor';
import { RecordingRoute } from './routes/recording';
import { SettingsRoute } from './routes/settings';
import { VoiceRoute } from './routes/voice';
import { WorkersRoute } from './routes/workers';
import { translate } from '@/lib/i18n';

// Chart.js is loaded with the dashboard only, keeping it out of the first paint.
const DashboardRoute = lazy(() => import('./routes/dashboard'));

function RequireToken({ children }: { children: ReactNode }) {
  const token = useAppStore((s) => s.token);
  if (!token) return <Navigate to="/login" replace />;
  return <>{children}</>;
}

function Loading() {
  const lang = useAppStore((s) => s.lang);
  return <p className="text-sm text-slate-500">{translate(lang, 'common.loading')}</p>;
}

export interface AppRoutesProps {
  fetchImpl?: typeof fetch;
  createSocket?: WebSocketFactory;
}

export function AppRoutes({ fetchImpl, createSocket }: AppRoutesProps) {
  return (
    <Routes>
      <Route path="/login" element={<LoginRoute fetchImpl={fetchImpl} />} />
      <Route
        element={
          <RequireToken>
            <AppShell createSocket={createSocket} />
          </RequireToken>
        }
      >
        <Route index element={<MonitorRoute />} />
        <Route
          path="dashboard"
          element={
            <Suspense fallback={<Loading />}>
              <DashboardRoute />
            </Suspense>
          }
        />
        <Route path="voice-transcription" element={<VoiceRoute />} />
        <Route path="recording" element={<RecordingRoute />} />
        <Route path="workers" element={<WorkersRoute />} />
        <Route path="settings" element={<SettingsRoute />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

/** History routing over http(s); hash routing when the page is a file (a packaged shell's fallback). */
const future = { v7_startTransition: true, v7_relativeSplatPath: true } as const;

export function AppRouter({ children, initialPath }: { children: ReactNode; initialPath?: string }) {
  if (initialPath !== undefined) return <MemoryRouter initialEntries={[initialPath]} future={future}>{children}</MemoryRouter>;
  if (window.location.protocol === 'file:') return <HashRouter future={future}>{children}</HashRouter>;
  return <BrowserRouter future={future}>{children}</BrowserRouter>;
}
