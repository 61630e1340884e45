import { useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { useAppStore, type Lang, type Theme } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';

/** What this window keeps for itself: gateway address, theme, language, history size. */
export function ClientSettings() {
  const t = useT();
  const gatewayUrl = useAppStore((s) => s.gatewayUrl);
  const setGatewayUrl = useAppStore((s) => s.setGatewayUrl);
  const theme = useAppStore((s) => s.theme);
  const setTheme = useAppStore((s) => s.setTheme);
  const lang = useAppStore((s) => s.lang);
  const setLang = useAppStore((s) => s.setLang);
  const historySize = useAppStore((s) => s.historySize);
  const setHistorySize = useAppStore((s) => s.setHistorySize);
  const [gw, setGw] = useState(gatewayUrl);
  const [hist, setHist] = useState(String(historySize));
  const [saved, setSaved] = useState(false);

  const save = () => {
    setGatewayUrl(gw);
    const n = Number(hist);
    if (Number.isFinite(n) && n !== historySize) setHistorySize(n);
    setSaved(true);
    setTimeout(() => setSaved(false), 1500);
  };

  return (
    <Card title={t('settings.client')} titleId="client-settings-title">
      <div className="grid gap-3 md:grid-cols-2">
        <Field label={t('settings.gateway')} hint={t('login.gatewayHint')}>
          {(id, hintId) => (
            <input id={id} aria-describedby={hintId} className={inputClass} value={gw} placeholder="http://127.0.0.1:9019" onChange={(e) => setGw(e.target.value)} disabled={Boolean(window.timao)} />
          )}
        </Field>
        <Field label={t('settings.history')}>
          {(id) => <input id={id} className={inputClass} inputMode="numeric" value={hist} onChange={(e) => setHist(e.target.value)} />}
        </Field>
        <Field label={t('settings.theme')}>
          {(id) => (
            <select id={id} className={inputClass} value={theme} onChange={(e) => setTheme(e.target.value as Theme)} data-testid="theme-select">
              <option value="system">{t('settings.theme.system')}</option>
              <option value="light">{t('settings.theme.light')}</option>
              <option value="dark">{t('settings.theme.dark')}</option>
            </select>
          )}
        </Field>
        <Field label={t('settings.language')}>
          {(id) => (
            <select id={id} className={inputClass} value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
              <option value="zh">简体中文</option>
              <option value="en">English</option>
            </select>
          )}
        </Field>
      </div>
      <div className="mt-3 flex items-center gap-2">
        <Button onClick={save}>{t('common.save')}</Button>
        {saved && <span role="status" className="text-sm text-emerald-600">{t('common.saved')}</span>}
        {window.timao && (
          <>
            <span className="text-xs text-slate-500">{t('settings.desktop')}</span>
            <Button variant="secondary" onClick={() => void window.timao?.restartBackend()}>
              {t('settings.restartBackend')}
            </Button>
          </>
        )}
      </div>
    </Card>
  );
}
