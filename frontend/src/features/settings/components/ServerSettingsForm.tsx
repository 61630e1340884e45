import { useEffect, useState, type FormEvent } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { ErrorLine, ServiceGate } from '@/components/ServiceGate';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import { useT } from '@/hooks/use-t';
import type { MessageKey } from '@/lib/i18n';
import type { ServerSettings } from '@/types/api';
import { getSettings, putSettings } from '../api/settings';

type Kind = 'text' | 'number' | 'quality' | 'engine';
const FIELDS: ReadonlyArray<{ key: keyof ServerSettings & string; label: MessageKey; kind: Kind }> = [
  { key: 'recordings_dir', label: 'settings.recordingsDir', kind: 'text' },
  { key: 'recording_quality', label: 'settings.recordingQuality', kind: 'quality' },
  { key: 'ast_engine', label: 'settings.astEngine', kind: 'engine' },
  { key: 'ast_model', label: 'settings.astModel', kind: 'text' },
  { key: 'gateway_port', label: 'settings.gatewayPort', kind: 'number' },
  { key: 'streamcap_port', label: 'settings.streamcapPort', kind: 'number' },
];
const KNOWN = new Set<string>(FIELDS.map((f) => f.key));
const QUALITIES = ['origin', 'uhd', 'hd', 'sd', 'ld'] as const;
const ENGINES = ['whisper', 'sensevoice', 'funasr'] as const;

function toText(v: unknown): string {
  if (v == null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The backend's settings (GET/PUT /api/settings): recording folder and quality, engine and model, ports. */
export function ServerSettingsForm() {
  const t = useT();
  const api = useApi();
  const res = useResource('settings', (signal) => getSettings(api, signal), { intervalMs: 15000 });
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const data = res.data;

  useEffect(() => {
    if (!data) return;
    setDraft((d) => (Object.keys(d).length ? d : Object.fromEntries(FIELDS.map((f) => [f.key, toText(data[f.key])]))));
  }, [data]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!data) return;
    const patch: Partial<ServerSettings> = {};
    for (const f of FIELDS) {
      const value = draft[f.key] ?? '';
      if (value === toText(data[f.key])) continue;
      patch[f.key] = f.kind === 'number' ? Number(value) : value || null;
    }
    if (Object.keys(patch).length === 0) return;
    setSaving(true);
    setMessage(null);
    try {
      await putSettings(api, patch);
      setMessage({ ok: true, text: t('common.saved') });
      setDraft({});
      res.reload();
    } catch (err) {
      setMessage({ ok: false, text: t('common.error', { detail: isApiError(err) ? err.detail || err.kind : String(err) }) });
    } finally {
      setSaving(false);
    }
  };

  const others = data ? Object.entries(data).filter(([k]) => !KNOWN.has(k)) : [];
  const set = (key: string, value: string) => setDraft((d) => ({ ...d, [key]: value }));

  return (
    <Card title={t('settings.server')} titleId="server-settings-title">
      <ServiceGate error={res.error} service="gateway" hasData={data !== null}>
        <form onSubmit={submit} className="flex flex-col gap-3">
          <div className="grid gap-3 md:grid-cols-2">
            {FIELDS.map((f) => (
              <Field key={f.key} label={t(f.label)}>
                {(id) =>
                  f.kind === 'quality' || f.kind === 'engine' ? (
                    <select id={id} className={inputClass} value={draft[f.key] ?? ''} onChange={(e) => set(f.key, e.target.value)}>
                      <option value="">—</option>
                      {(f.kind === 'quality' ? QUALITIES : ENGINES).map((q) => (
                        <option key={q} value={q}>
                          {f.kind === 'quality' ? t(`quality.${q as (typeof QUALITIES)[number]}`) : q}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      id={id}
                      className={inputClass}
                      type={f.kind === 'number' ? 'number' : 'text'}
                      min={f.kind === 'number' ? 1 : undefined}
                      max={f.kind === 'number' ? 65535 : undefined}
                      value={draft[f.key] ?? ''}
                      onChange={(e) => set(f.key, e.target.value)}
                    />
                  )
                }
              </Field>
            ))}
          </div>
          <p className="text-xs text-slate-500">{t('settings.restartNote')}</p>
          <div className="flex items-center gap-2">
            <Button type="submit" disabled={saving}>
              {t('common.save')}
            </Button>
            {message && (message.ok ? <span role="status" className="text-sm text-emerald-600">{message.text}</span> : <ErrorLine message={message.text} />)}
          </div>
          {others.length > 0 && (
            <details className="text-sm">
              <summary className="cursor-pointer text-slate-500">{t('settings.other')}</summary>
              <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 font-mono text-xs">
                {others.map(([k, v]) => (
                  <div key={k} className="contents">
                    <dt className="text-slate-500">{k}</dt>
                    <dd className="break-all">{toText(v)}</dd>
                  </div>
                ))}
              </dl>
            </details>
          )}
        </form>
      </ServiceGate>
    </Card>
  );
}
