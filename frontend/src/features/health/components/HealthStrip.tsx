import { useEffect } from 'react';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useAppStore } from '@/stores/app-store';
import { useT, useTOptional } from '@/hooks/use-t';
import { StatusDot, toneForState } from '@/components/StatusDot';
import { getHealth } from '../api/get-health';
import { WsBadge } from './WsBadge';
import { DesktopBackendBadge } from './DesktopBackendBadge';
import type { ServiceHealth } from '@/types/api';

const POLL_MS = 3000;

/** Polls `/health` and keeps the result in the store. */
export function useHealthPolling(): void {
  const api = useApi();
  const setHealth = useAppStore((s) => s.setHealth);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const poll = async () => {
      try {
        setHealth(await getHealth(api, controller.signal));
      } catch (e) {
        if (controller.signal.aborted) return;
        setHealth(null, isApiError(e) ? e.detail || e.kind : String(e));
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [api, setHealth]);
}

function ServiceChip({ name, svc }: { name: string; svc: ServiceHealth }) {
  const t = useT();
  const tOpt = useTOptional();
  const state = String(svc.status);
  const tone = toneForState(state);
  const label = tOpt(`service.${name}`, name);
  const stateText = tOpt(`health.status.${state}`, state);
  const restarts = svc.restarts ?? 0;
  const detail = [svc.reason, restarts > 0 ? t('health.restarts', { n: restarts }) : null].filter(Boolean).join(' · ');
  return (
    <li
      className="flex min-w-0 items-center gap-1.5 rounded-full bg-slate-100 px-2.5 py-0.5 text-xs dark:bg-slate-800"
      title={detail || undefined}
      data-testid={`health-${name}`}
      data-state={state}
    >
      <StatusDot tone={tone} pulse={tone === 'warn'} />
      <span className="font-medium">{label}</span>
      <span className="text-slate-500 dark:text-slate-400">{stateText}</span>
      {tone !== 'ok' && svc.reason && <span className="max-w-[28ch] truncate text-rose-600 dark:text-rose-400">{svc.reason}</span>}
    </li>
  );
}

/** The always-visible strip: every service's state and why it is down, plus the live connection. */
export function HealthStrip() {
  const t = useT();
  const tOpt = useTOptional();
  const health = useAppStore((s) => s.health);
  const healthError = useAppStore((s) => s.healthError);
  const overall = health ? String(health.status) : healthError ? 'down' : 'unknown';
  return (
    <div
      role="region"
      aria-label={t('health.title')}
      className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white/80 px-4 py-1.5 dark:border-slate-800 dark:bg-slate-900/80"
      data-testid="health-strip"
    >
      <span className="flex items-center gap-1.5 text-xs font-semibold" data-testid="health-overall" data-state={overall}>
        <StatusDot tone={toneForState(overall)} />
        {t('health.title')}：
        {health
          ? tOpt(`health.status.${overall}`, overall)
          : healthError
            ? `${t('health.unreachable')}（${healthError}）`
            : t('health.checking')}
      </span>
      {health && (
        <ul className="flex flex-wrap items-center gap-1.5" aria-live="polite">
          {Object.entries(health.services).map(([name, svc]) => (
            <ServiceChip key={name} name={name} svc={svc} />
          ))}
        </ul>
      )}
      <div className="ml-auto flex items-center gap-3">
        <DesktopBackendBadge />
        <WsBadge />
      </div>
    </div>
  );
}
