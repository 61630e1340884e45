import { useState, type FormEvent } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { ErrorLine } from '@/components/ServiceGate';
import { StatusDot } from '@/components/StatusDot';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useT } from '@/hooks/use-t';
import { importCookie, logoutAccount } from '../api/account';
import { useAccountPolling, useAccountStore } from '../store';
import { DouyinLoginButton } from './DouyinLoginButton';

/** Settings: the Douyin account — who is logged in, a login window, a cookie to paste, logout. */
export function DouyinAccountCard() {
  const t = useT();
  const api = useApi();
  const account = useAccountPolling();
  const loadError = useAccountStore((s) => s.error);
  const [cookie, setCookie] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await work();
    } catch (err) {
      setError(isApiError(err) ? err.detail || err.kind : String(err));
    } finally {
      setBusy(false);
    }
  };

  const onImport = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      useAccountStore.getState().set(await importCookie(api, cookie));
      setCookie(''); // the secret leaves the page once the server holds it
      setDone(t('account.cookieImported'));
    });
  };

  const onLogout = () =>
    void act(async () => {
      useAccountStore.getState().set(await logoutAccount(api));
    });

  const loggedIn = account?.logged_in ?? false;
  return (
    <Card title={t('account.title')} titleId="douyin-account-title">
      <div className="flex flex-col gap-3" data-testid="douyin-account">
        <p className="flex items-center gap-2 text-sm" data-testid="douyin-account-state" data-logged-in={String(loggedIn)}>
          <StatusDot tone={loggedIn ? 'ok' : 'warn'} />
          {account === null
            ? loadError
              ? t('common.error', { detail: loadError })
              : t('common.loading')
            : loggedIn
              ? t('account.loggedInAs', { name: account.nickname || t('account.unknownName') }) +
                (account.source ? ` · ${t(account.source === 'browser' ? 'account.source.browser' : 'account.source.cookie')}` : '')
              : `${t('account.guest')} — ${t('account.guestHint')}`}
        </p>
        <div className="flex flex-wrap items-start gap-2">
          <DouyinLoginButton />
          {loggedIn && (
            <Button variant="danger" onClick={onLogout} disabled={busy} data-testid="douyin-logout">
              {t('account.logout')}
            </Button>
          )}
        </div>
        <form onSubmit={onImport} className="flex flex-col gap-2">
          <Field label={t('account.cookie')} hint={t('account.cookieHint')}>
            {(id, hintId) => (
              <textarea
                id={id}
                aria-describedby={hintId}
                className={`${inputClass} h-20 font-mono text-xs`}
                value={cookie}
                autoComplete="off"
                spellCheck={false}
                placeholder="sessionid=…; ttwid=…"
                onChange={(e) => setCookie(e.target.value)}
                data-testid="douyin-cookie"
              />
            )}
          </Field>
          <div className="flex items-center gap-2">
            <Button type="submit" variant="secondary" disabled={busy || !cookie.trim()} data-testid="douyin-cookie-import">
              {t('account.cookieImport')}
            </Button>
            {done && <span role="status" className="text-xs text-emerald-700 dark:text-emerald-400">{done}</span>}
          </div>
        </form>
        {error && <ErrorLine message={t('common.error', { detail: error })} />}
      </div>
    </Card>
  );
}
