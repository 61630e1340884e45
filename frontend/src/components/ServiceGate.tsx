import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { ApiError } from '@/lib/api-client';
import { useT, useTOptional } from '@/hooks/use-t';

/**
 * What a page shows when its data cannot load: the service behind it is not running (503),
 * the gateway cannot be reached, or the token is wrong. Anything else is a short error line.
 */
export function ServiceProblem({ error, service }: { error: ApiError; service: string }) {
  const t = useT();
  const tOpt = useTOptional();
  const name = tOpt(`service.${service}`, service);
  if (error.kind === 'unavailable') {
    return (
      <div role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="service-unavailable">
        <p className="font-semibold">{t('unavailable.title', { service: name })}</p>
        <p className="mt-1">{t('unavailable.hint', { detail: error.detail || '503' })}</p>
      </div>
    );
  }
  if (error.kind === 'not_found') {
    return (
      <div role="status" className="rounded-lg border border-slate-300 bg-slate-50 p-3 text-sm text-slate-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300" data-testid="service-missing">
        {t('unavailable.missing', { detail: error.detail || '404' })}
      </div>
    );
  }
  if (error.kind === 'network' || error.kind === 'timeout') {
    return (
      <div role="status" className="rounded-lg border border-rose-300 bg-rose-50 p-4 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100">
        {t('unavailable.network', { detail: error.detail })}
      </div>
    );
  }
  if (error.kind === 'unauthorized') {
    return (
      <div role="alert" className="rounded-lg border border-rose-300 bg-rose-50 p-4 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100">
        <p className="font-semibold">{t('unauthorized.title')}</p>
        <p className="mt-1">
          {t('unauthorized.hint')}{' '}
          <Link className="underline" to="/login">
            {t('nav.login')}
          </Link>
        </p>
      </div>
    );
  }
  return <ErrorLine message={t('common.error', { detail: error.detail || error.kind })} />;
}

export function ErrorLine({ message }: { message: string }) {
  return (
    <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
      {message}
    </p>
  );
}

/** Shows `children` once data exists; a problem banner above it when the last load failed. */
export function ServiceGate({ error, service, hasData, children }: {
  error: ApiError | null;
  service: string;
  hasData: boolean;
  children: ReactNode;
}) {
  if (error && !hasData) return <ServiceProblem error={error} service={service} />;
  return (
    <>
      {error && <ServiceProblem error={error} service={service} />}
      {children}
    </>
  );
}
