import { useCallback, useEffect, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { useApi } from '@/lib/api-context';
import {
  createOverlayKey,
  listOverlayKeys,
  revokeOverlayKey,
  saveOverlayStyle,
  type OverlayKeyInfo,
} from '../api/overlay';
import { normaliseStyle, OVERLAY_KINDS, SHOWN_EVENTS, STYLE_LIMITS, type OverlayKind, type OverlayStyle } from '../lib/style';
import { useOverlayText } from '../texts';
import { OverlayPreview } from './OverlayPreview';

/**
 * The OBS overlay's keys: create one, copy its browser-source addresses, revoke it; and the style editor with its
 * live preview, saved with the key on the gateway (open OBS pages take the new style at once).
 */
export function OverlayKeysPanel() {
  const t = useOverlayText();
  const api = useApi();
  const [keys, setKeys] = useState<OverlayKeyInfo[]>([]);
  const [name, setName] = useState('OBS');
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const reload = useCallback(() => {
    listOverlayKeys(api).then(
      (r) => setKeys(r.keys),
      (e: Error) => setError(t('error', { detail: e.message })),
    );
  }, [api]);
  useEffect(reload, [reload]);

  const create = async () => {
    setError(null);
    try {
      const made = await createOverlayKey(api, name.trim() || 'OBS');
      setKeys((k) => [...k, made]);
      setEditing(made.key);
    } catch (e) {
      setError(t('error', { detail: (e as Error).message }));
    }
  };

  const revoke = async (key: string) => {
    if (!window.confirm(t('revokeConfirm'))) return;
    setError(null);
    try {
      await revokeOverlayKey(api, key);
      setKeys((k) => k.filter((x) => x.key !== key));
      if (editing === key) setEditing(null);
    } catch (e) {
      setError(t('error', { detail: (e as Error).message }));
    }
  };

  const copy = (url: string) => {
    void navigator.clipboard?.writeText(url).then(() => setCopied(url), () => undefined);
  };

  const current = keys.find((k) => k.key === editing) ?? null;
  return (
    <Card title={t('title')} titleId="overlay-keys-title">
      <div className="space-y-3" data-testid="overlay-keys">
        <p className="text-xs text-slate-500 dark:text-slate-400">{t('intro')}</p>
        <div className="flex flex-wrap items-end gap-2">
          <Field label={t('name')}>
            {(id) => (
              <input id={id} className={`${inputClass} w-48`} value={name} maxLength={40} onChange={(e) => setName(e.target.value)} data-testid="overlay-key-name" />
            )}
          </Field>
          <Button onClick={() => void create()} data-testid="overlay-key-create">{t('create')}</Button>
        </div>
        {error && <p className="text-sm text-rose-600" role="alert">{error}</p>}
        {keys.length === 0 ? (
          <p className="text-sm text-slate-500">{t('none')}</p>
        ) : (
          <ul className="space-y-2" data-testid="overlay-key-list">
            {keys.map((k) => (
              <li key={k.key} className="rounded-md p-2 ring-1 ring-slate-200 dark:ring-slate-700" data-testid="overlay-key">
                <div className="mb-1 flex items-center justify-between gap-2">
                  <span className="truncate text-sm font-medium">{k.name}</span>
                  <span className="flex gap-1">
                    <Button size="sm" variant="secondary" onClick={() => setEditing(editing === k.key ? null : k.key)}>{t('edit')}</Button>
                    <Button size="sm" variant="danger" onClick={() => void revoke(k.key)} data-testid="overlay-key-revoke">{t('revoke')}</Button>
                  </span>
                </div>
                <dl className="grid grid-cols-[auto_1fr_auto] items-center gap-x-2 gap-y-1 text-xs">
                  {OVERLAY_KINDS.map((kind) => (
                    <OverlayUrl key={kind} label={t(`kind_${kind}`)} url={k.urls[kind]} copied={copied === k.urls[kind]} onCopy={copy} copyText={t('copy')} copiedText={t('copied')} />
                  ))}
                </dl>
              </li>
            ))}
          </ul>
        )}
        {current && (
          <StyleEditor
            key={current.key}
            info={current}
            onSaved={(info) => setKeys((ks) => ks.map((x) => (x.key === info.key ? info : x)))}
          />
        )}
      </div>
    </Card>
  );
}

function OverlayUrl(props: { label: string; url: string; copied: boolean; onCopy: (url: string) => void; copyText: string; copiedText: string }) {
  return (
    <>
      <dt className="text-slate-500">{props.label}</dt>
      <dd className="min-w-0">
        <input readOnly className="w-full truncate rounded bg-slate-100 px-2 py-1 font-mono text-[11px] dark:bg-slate-800" value={props.url} onFocus={(e) => e.currentTarget.select()} aria-label={props.label} />
      </dd>
      <dd>
        <Button size="sm" variant="ghost" onClick={() => props.onCopy(props.url)}>{props.copied ? props.copiedText : props.copyText}</Button>
      </dd>
    </>
  );
}

/** A number typed freely (16 passes through 1 on the way), kept within its limits once the field is left. */
function NumberInput({ id, value, limits, onChange, testId }: { id: string; value: number; limits: readonly [number, number]; onChange: (n: number) => void; testId?: string }) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const clamp = (raw: string) => Math.min(limits[1], Math.max(limits[0], Math.round(Number(raw) || 0)));
  return (
    <input
      id={id}
      type="number"
      className={`${inputClass} w-24`}
      min={limits[0]}
      max={limits[1]}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const n = Number(e.target.value);
        if (e.target.value !== '' && Number.isFinite(n) && n >= limits[0] && n <= limits[1]) onChange(Math.round(n));
      }}
      onBlur={() => {
        const n = clamp(text);
        setText(String(n));
        onChange(n);
      }}
      data-testid={testId}
    />
  );
}

export function StyleEditor({ info, onSaved }: { info: OverlayKeyInfo; onSaved: (info: OverlayKeyInfo) => void }) {
  const t = useOverlayText();
  const api = useApi();
  const [style, setStyle] = useState<OverlayStyle>(() => normaliseStyle(info.style));
  const [kind, setKind] = useState<OverlayKind>('chat');
  const [state, setState] = useState<{ kind: 'idle' | 'saving' | 'saved' } | { kind: 'error'; message: string }>({ kind: 'idle' });
  const set = <K extends keyof OverlayStyle>(k: K, v: OverlayStyle[K]) => {
    setStyle((s) => ({ ...s, [k]: v }));
    setState({ kind: 'idle' });
  };

  const save = async () => {
    setState({ kind: 'saving' });
    try {
      onSaved(await saveOverlayStyle(api, info.key, style));
      setState({ kind: 'saved' });
    } catch (e) {
      setState({ kind: 'error', message: (e as Error).message });
    }
  };

  const colour = (k: 'text_color' | 'name_color' | 'accent_color' | 'row_color', label: string) => (
    <Field label={label}>
      {(id) => <input id={id} type="color" className="h-9 w-16 cursor-pointer rounded border border-slate-300" value={style[k]} onChange={(e) => set(k, e.target.value)} data-testid={`style-${k}`} />}
    </Field>
  );

  return (
    <div className="grid gap-4 border-t border-slate-200 pt-3 lg:grid-cols-2 dark:border-slate-700" data-testid="overlay-style-editor">
      <div className="space-y-3">
        <h3 className="text-sm font-semibold">{t('style')} · {info.name}</h3>
        <div className="flex flex-wrap gap-3">
          <Field label={t('fontSize')}>{(id) => <NumberInput id={id} value={style.font_size} limits={STYLE_LIMITS.font_size} onChange={(n) => set('font_size', n)} testId="style-font-size" />}</Field>
          <Field label={t('rows')}>{(id) => <NumberInput id={id} value={style.rows} limits={STYLE_LIMITS.rows} onChange={(n) => set('rows', n)} testId="style-rows" />}</Field>
          <Field label={t('fade')}>{(id) => <NumberInput id={id} value={style.fade_s} limits={STYLE_LIMITS.fade_s} onChange={(n) => set('fade_s', n)} testId="style-fade" />}</Field>
          <Field label={t('thanksWindow')}>{(id) => <NumberInput id={id} value={style.thanks_window_s} limits={STYLE_LIMITS.thanks_window_s} onChange={(n) => set('thanks_window_s', n)} />}</Field>
        </div>
        <div className="flex flex-wrap gap-3">
          {colour('text_color', t('textColor'))}
          {colour('name_color', t('nameColor'))}
          {colour('accent_color', t('accentColor'))}
          {colour('row_color', t('rowColor'))}
          <Field label={t('rowOpacity')}>
            {(id) => <input id={id} type="range" min={0} max={1} step={0.05} value={style.row_opacity} onChange={(e) => set('row_opacity', Number(e.target.value))} />}
          </Field>
        </div>
        <fieldset>
          <legend className="text-xs font-medium text-slate-600 dark:text-slate-300">{t('events')}</legend>
          <div className="mt-1 flex flex-wrap gap-3 text-sm">
            {SHOWN_EVENTS.map((e) => (
              <label key={e} className="flex items-center gap-1">
                <input
                  type="checkbox"
                  checked={style.events.includes(e)}
                  onChange={(ev) => set('events', ev.target.checked ? SHOWN_EVENTS.filter((x) => x === e || style.events.includes(x)) : style.events.filter((x) => x !== e))}
                />
                {t(`ev_${e}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="flex items-center gap-2">
          <Button onClick={() => void save()} disabled={state.kind === 'saving'} data-testid="overlay-style-save">{t('save')}</Button>
          {state.kind === 'saved' && <span className="text-xs text-emerald-600" role="status">{t('saved')}</span>}
          {state.kind === 'error' && <span className="text-xs text-rose-600" role="alert">{t('error', { detail: state.message })}</span>}
        </div>
      </div>
      <div className="space-y-2">
        <div className="flex items-center justify-between gap-2">
          <h3 className="text-sm font-semibold">{t('preview')}</h3>
          <select className={`${inputClass} w-auto py-1`} value={kind} onChange={(e) => setKind(e.target.value as OverlayKind)} aria-label={t('preview')} data-testid="overlay-preview-kind">
            {OVERLAY_KINDS.map((k) => <option key={k} value={k}>{t(`kind_${k}`)}</option>)}
          </select>
        </div>
        <OverlayPreview kind={kind} style={style} />
      </div>
    </div>
  );
}
