import { useState } from 'react';
import { Button } from '@/components/Button';
import { ErrorLine } from '@/components/ServiceGate';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useT } from '@/hooks/use-t';
import { startLogin } from '../api/account';
import { refreshAccount, useAccountStore } from '../store';

/**
 * "登录抖音账号": opens a browser window on the live site (the suite's browser) where the streamer scans the QR code.
 * While the window waits it says so; a failed or timed-out login says why. `compact`: the monitor's room bar, where
 * a logged-in account needs no button.
 */
export function DouyinLoginButton({ compact = false }: { compact?: boolean }) {
  const t = useT();
  const api = useApi();
  const account = useAccountStore((s) => s.account);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pending = account?.login_pending ?? false;

  if (compact && account?.logged_in && !pending) return null;

  const onLogin = async () => {
    setStarting(true);
    setError(null);
    try {
      useAccountStore.getState().set(await startLogin(api));
    } catch (err) {
      setError(isApiError(err) ? err.detail || err.kind : String(err));
    } finally {
      setStarting(false);
      void refreshAccount(api);
    }
  };

  const failure = error ?? (!pending ? account?.login_error : null) ?? null;
  return (
    <div className="flex flex-col gap-1" data-testid="douyin-login">
      <div className="flex items-center gap-2">
        <Button
          size={compact ? 'sm' : 'md'}
          variant={account?.logged_in ? 'secondary' : 'primary'}
          onClick={() => void onLogin()}
          disabled={starting || pending}
          data-testid="douyin-login-button"
        >
          {t('account.login')}
        </Button>
        {pending && (
          <span role="status" className="text-xs text-slate-600 dark:text-slate-300" data-testid="douyin-login-pending">
            {t('account.loginPending')}
          </span>
        )}
      </div>
      {failure && <ErrorLine message={t('account.loginFailed', { detail: failure })} />}
    </div>
  );
}
