import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button } from '@/components/Button';
import { Field, inputClass } from '@/components/Field';
import { ErrorLine } from '@/components/ServiceGate';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import { isApiError } from '@/lib/api-client';
import { checkToken } from '../api/check-token';

export function LoginForm({ fetchImpl }: { fetchImpl?: typeof fetch }) {
  const t = useT();
  const navigate = useNavigate();
  const storedToken = useAppStore((s) => s.token);
  const storedGateway = useAppStore((s) => s.gatewayUrl);
  const storedRemember = useAppStore((s) => s.rememberToken);
  const login = useAppStore((s) => s.login);
  const setGatewayUrl = useAppStore((s) => s.setGatewayUrl);
  const [token, setToken] = useState(storedToken ?? '');
  const [gateway, setGateway] = useState(storedGateway);
  const [remember, setRemember] = useState(storedRemember);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return;
    setBusy(true);
    setError(null);
    const baseUrl = gateway.trim().replace(/\/+$/, '');
    try {
      await checkToken({ baseUrl, token: value }, fetchImpl);
      setGatewayUrl(baseUrl);
      login(value, remember);
      navigate('/');
    } catch (err) {
      if (isApiError(err) && err.kind === 'unauthorized') setError(t('login.bad'));
      else if (isApiError(err) && (err.kind === 'network' || err.kind === 'timeout')) setError(t('unavailable.network', { detail: err.detail }));
      else setError(t('common.error', { detail: isApiError(err) ? err.detail : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={onSubmit} className="flex w-full max-w-md flex-col gap-4" aria-labelledby="login-title">
      <h1 id="login-title" className="text-lg font-semibold">
        {t('login.title')}
      </h1>
      <Field label={t('login.token')} hint={t('login.tokenHint')}>
        {(id, hintId) => (
          <input
            id={id}
            aria-describedby={hintId}
            className={inputClass}
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
            autoFocus
            data-testid="login-token"
          />
        )}
      </Field>
      <Field label={t('login.gateway')} hint={t('login.gatewayHint')}>
        {(id, hintId) => (
          <input
            id={id}
            aria-describedby={hintId}
            className={inputClass}
            type="url"
            placeholder="http://127.0.0.1:9019"
            value={gateway}
            onChange={(e) => setGateway(e.target.value)}
          />
        )}
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} className="h-4 w-4 accent-brand-600" />
        {t('login.remember')}
      </label>
      {error && <ErrorLine message={error} />}
      <Button type="submit" disabled={busy || !token.trim()} data-testid="login-submit">
        {busy ? t('login.checking') : t('login.submit')}
      </Button>
    </form>
  );
}
