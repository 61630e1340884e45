import { useMemo, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { parseKeywords } from '@/lib/live-rules';
import { useT } from '@/hooks/use-t';
import type { MessageKey } from '@/lib/i18n';
import type { CommentMode, ReadAloudSettings } from '../engine';
import { browserSpeech, useVoices } from '../speech';
import { useReadAloud } from '../store';

const MODES: ReadonlyArray<{ value: CommentMode; label: MessageKey }> = [
  { value: 'all', label: 'readaloud.comments.all' },
  { value: 'keywords', label: 'readaloud.comments.keywords' },
  { value: 'questions', label: 'readaloud.comments.questions' },
  { value: 'keywordsOrQuestions', label: 'readaloud.comments.keywordsOrQuestions' },
  { value: 'none', label: 'readaloud.comments.none' },
];

interface Draft {
  comments: CommentMode;
  keywords: string;
  gifts: boolean;
  giftMinDiamonds: string;
  follows: boolean;
  maxPerMinute: string;
  maxQueue: string;
  maxAgeS: string;
  rate: number;
  voiceURI: string;
  skipLinks: boolean;
  skipEmojiOnly: boolean;
  skipRepeats: boolean;
}

function draftOf(s: ReadAloudSettings): Draft {
  return {
    comments: s.comments,
    keywords: s.keywords.join('，'),
    gifts: s.gifts,
    giftMinDiamonds: String(s.giftMinDiamonds),
    follows: s.follows,
    maxPerMinute: String(s.maxPerMinute),
    maxQueue: String(s.maxQueue),
    maxAgeS: String(Math.round(s.maxAgeMs / 1000)),
    rate: s.rate,
    voiceURI: s.voiceURI,
    skipLinks: s.skipLinks,
    skipEmojiOnly: s.skipEmojiOnly,
    skipRepeats: s.skipRepeats,
  };
}

/** A whole number in [min, max], or null. */
function intIn(text: string, min: number, max: number): number | null {
  const n = Number(text.trim());
  return text.trim() && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** Everything read-aloud can be told: what to read, how fast, with which voice. Saved in this window. */
export function ReadAloudSettingsCard() {
  const t = useT();
  const settings = useReadAloud((s) => s.settings);
  const update = useReadAloud((s) => s.update);
  const speech = useMemo(() => browserSpeech(), []);
  const voices = useVoices(speech);
  const [d, setD] = useState<Draft>(() => draftOf(settings));
  const [errors, setErrors] = useState<Partial<Record<keyof Draft, string>>>({});
  const [saved, setSaved] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((prev) => ({ ...prev, [k]: v }));

  const save = () => {
    const bad: Partial<Record<keyof Draft, string>> = {};
    const giftMin = intIn(d.giftMinDiamonds, 0, 1_000_000);
    const perMinute = intIn(d.maxPerMinute, 1, 120);
    const queue = intIn(d.maxQueue, 1, 50);
    const ageS = intIn(d.maxAgeS, 5, 300);
    if (giftMin === null) bad.giftMinDiamonds = t('form.intRange', { min: 0, max: 1_000_000 });
    if (perMinute === null) bad.maxPerMinute = t('form.intRange', { min: 1, max: 120 });
    if (queue === null) bad.maxQueue = t('form.intRange', { min: 1, max: 50 });
    if (ageS === null) bad.maxAgeS = t('form.intRange', { min: 5, max: 300 });
    setErrors(bad);
    if (giftMin === null || perMinute === null || queue === null || ageS === null) return;
    update({
      comments: d.comments,
      keywords: parseKeywords(d.keywords),
      gifts: d.gifts,
      giftMinDiamonds: giftMin,
      follows: d.follows,
      maxPerMinute: perMinute,
      maxQueue: queue,
      maxAgeMs: ageS * 1000,
      rate: d.rate,
      voiceURI: d.voiceURI,
      skipLinks: d.skipLinks,
      skipEmojiOnly: d.skipEmojiOnly,
      skipRepeats: d.skipRepeats,
    });
    setSaved(true);
    setTimeout(() => setSaved(false), 1500);
  };

  const numberField = (k: 'giftMinDiamonds' | 'maxPerMinute' | 'maxQueue' | 'maxAgeS', label: MessageKey) => (
    <Field label={t(label)} hint={errors[k]}>
      {(id, hintId) => (
        <input
          id={id}
          className={inputClass}
          inputMode="numeric"
          value={d[k]}
          onChange={(e) => set(k, e.target.value)}
          aria-invalid={errors[k] ? true : undefined}
          aria-describedby={hintId}
          data-testid={`readaloud-${k}`}
        />
      )}
    </Field>
  );
  const check = (k: 'gifts' | 'follows' | 'skipLinks' | 'skipEmojiOnly' | 'skipRepeats', label: MessageKey) => (
    <label className="flex items-center gap-2 text-sm">
      <input type="checkbox" checked={d[k]} onChange={(e) => set(k, e.target.checked)} data-testid={`readaloud-${k}`} />
      {t(label)}
    </label>
  );

  return (
    <Card title={t('readaloud.settings')} titleId="readaloud-settings-title">
      {!speech && (
        <p role="alert" className="mb-2 text-sm text-amber-700">
          {t('readaloud.unsupported')}
        </p>
      )}
      <div className="grid gap-3 md:grid-cols-2">
        <Field label={t('readaloud.comments')}>
          {(id) => (
            <select id={id} className={inputClass} value={d.comments} onChange={(e) => set('comments', e.target.value as CommentMode)} data-testid="readaloud-comments">
              {MODES.map((m) => (
                <option key={m.value} value={m.value}>
                  {t(m.label)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('readaloud.keywords')}>
          {(id) => <input id={id} className={inputClass} value={d.keywords} onChange={(e) => set('keywords', e.target.value)} data-testid="readaloud-keywords" />}
        </Field>
        {check('gifts', 'readaloud.gifts')}
        {numberField('giftMinDiamonds', 'readaloud.giftMin')}
        {check('follows', 'readaloud.follows')}
        {numberField('maxPerMinute', 'readaloud.maxPerMinute')}
        {numberField('maxQueue', 'readaloud.maxQueue')}
        {numberField('maxAgeS', 'readaloud.maxAge')}
        <Field label={t('readaloud.voice')}>
          {(id) => (
            <select id={id} className={inputClass} value={d.voiceURI} onChange={(e) => set('voiceURI', e.target.value)}>
              <option value="">{t('readaloud.voiceAuto')}</option>
              {voices.map((v) => (
                <option key={v.voiceURI} value={v.voiceURI}>
                  {v.name} ({v.lang})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={`${t('readaloud.rate')} ×${d.rate.toFixed(1)}`}>
          {(id) => <input id={id} type="range" min={0.5} max={2} step={0.1} value={d.rate} onChange={(e) => set('rate', Number(e.target.value))} />}
        </Field>
        <div className="flex flex-wrap gap-4 md:col-span-2">
          {check('skipLinks', 'readaloud.skipLinks')}
          {check('skipEmojiOnly', 'readaloud.skipEmoji')}
          {check('skipRepeats', 'readaloud.skipRepeats')}
        </div>
      </div>
      {Object.keys(errors).length > 0 && (
        <p role="alert" className="mt-2 text-sm text-rose-600">
          {t('form.fixErrors')}
        </p>
      )}
      <div className="mt-3 flex items-center gap-2">
        <Button onClick={save} data-testid="readaloud-save">
          {t('common.save')}
        </Button>
        {saved && (
          <span role="status" className="text-sm text-emerald-600">
            {t('common.saved')}
          </span>
        )}
      </div>
    </Card>
  );
}
