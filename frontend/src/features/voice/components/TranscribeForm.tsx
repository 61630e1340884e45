import { useEffect, useState, type FormEvent } from 'react';
import { Button } from '@/components/Button';
import { Field, inputClass } from '@/components/Field';
import { useT } from '@/hooks/use-t';
import { useApi } from '@/lib/api-context';
import { getVocabulary } from '../api/ast';
import type { AstStartRequest, AudioConfig, LiveSessionInfo } from '@/types/api';

/** A room's hot words, and which room they belong to (a live id, or `default` for URL and file sources). */
export interface RoomVocabulary {
  room: string;
  words: string[];
}

/** "云朵酥，蓝鲸泡泡杯、全网最低 喵呜脆" → the words, in order: commas (either width), 、, semicolons and spaces separate. */
export function splitWords(text: string): string[] {
  return text
    .split(/[,，、;；\s]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

type Source = AudioConfig['source'];
export const ENGINES = ['whisper', 'sensevoice', 'funasr'] as const;
const LANGS = ['zh', 'en', 'auto'] as const;

export function TranscribeForm({ sessions, defaultSession, busy, onStart, defaultEngine, defaultModel }: {
  sessions: readonly LiveSessionInfo[];
  defaultSession: string | null;
  busy: boolean;
  onStart: (req: AstStartRequest, vocabulary: RoomVocabulary) => void;
  defaultEngine?: string | null;
  defaultModel?: string | null;
}) {
  const t = useT();
  const api = useApi();
  const [source, setSource] = useState<Source>('session');
  const [sessionId, setSessionId] = useState(defaultSession ?? '');
  const [url, setUrl] = useState('');
  const [path, setPath] = useState('');
  const [engine, setEngine] = useState<string>(defaultEngine ?? 'whisper');
  const [model, setModel] = useState(defaultModel ?? '');
  const [language, setLanguage] = useState<(typeof LANGS)[number]>('zh');
  const chosenSession = sessionId || defaultSession || sessions[0]?.id || '';
  const room = (source === 'session' && sessions.find((s) => s.id === chosenSession)?.live_id) || 'default';
  const [hotwords, setHotwords] = useState('');

  // Each room keeps its own words: show the chosen room's list, to be edited before starting.
  useEffect(() => {
    const controller = new AbortController();
    getVocabulary(api, room, controller.signal)
      .then((v) => setHotwords(v.words.join('，')))
      .catch(() => undefined); // an older gateway without the route: start without hot words
    return () => controller.abort();
  }, [api, room]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let audio: AudioConfig;
    if (source === 'session') {
      if (!chosenSession) return;
      audio = { source: 'session', session_id: chosenSession };
    } else if (source === 'url') {
      if (!url.trim()) return;
      audio = { source: 'url', url: url.trim() };
    } else {
      if (!path.trim()) return;
      audio = { source: 'file', path: path.trim() };
    }
    const words = splitWords(hotwords);
    onStart(
      { audio_config: audio, model_config: { engine, language, hotwords: words, ...(model.trim() ? { model: model.trim() } : {}) } },
      { room, words },
    );
  };

  return (
    <form onSubmit={submit} className="grid gap-3 md:grid-cols-3">
      <Field label={t('voice.source')}>
        {(id) => (
          <select id={id} className={inputClass} value={source} onChange={(e) => setSource(e.target.value as Source)} data-testid="voice-source">
            <option value="session">{t('voice.source.session')}</option>
            <option value="url">{t('voice.source.url')}</option>
            <option value="file">{t('voice.source.file')}</option>
          </select>
        )}
      </Field>
      {source === 'session' && (
        <Field label={t('voice.session')} className="md:col-span-2">
          {(id) => (
            <select id={id} className={inputClass} value={chosenSession} onChange={(e) => setSessionId(e.target.value)} data-testid="voice-session">
              {sessions.length === 0 && <option value="">{t('voice.needSession')}</option>}
              {sessions.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title || s.live_id || s.id} ({s.status})
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {source === 'url' && (
        <Field label={t('voice.url')} className="md:col-span-2">
          {(id) => <input id={id} className={inputClass} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1/live.flv" />}
        </Field>
      )}
      {source === 'file' && (
        <Field label={t('voice.file')} className="md:col-span-2">
          {(id) => <input id={id} className={inputClass} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/audio.wav" />}
        </Field>
      )}
      <Field label={t('voice.engine')}>
        {(id) => (
          <select id={id} className={inputClass} value={engine} onChange={(e) => setEngine(e.target.value)}>
            {ENGINES.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('voice.model')}>
        {(id) => <input id={id} className={inputClass} value={model} onChange={(e) => setModel(e.target.value)} placeholder="tiny / small / …" />}
      </Field>
      <Field label={t('voice.language')}>
        {(id) => (
          <select id={id} className={inputClass} value={language} onChange={(e) => setLanguage(e.target.value as (typeof LANGS)[number])}>
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {t(`voice.lang.${l}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('voice.hotwords')} hint={t('voice.hotwordsHint')} className="md:col-span-3">
        {(id, hintId) => (
          <input
            id={id}
            aria-describedby={hintId}
            className={inputClass}
            value={hotwords}
            onChange={(e) => setHotwords(e.target.value)}
            placeholder={t('voice.hotwordsPlaceholder')}
            data-testid="voice-hotwords"
          />
        )}
      </Field>
      <div className="md:col-span-3">
        <Button type="submit" disabled={busy} data-testid="voice-start">
          {t('voice.start')}
        </Button>
      </div>
    </form>
  );
}
