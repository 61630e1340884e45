import { useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { Field, inputClass } from '@/components/Field';
import { parseKeywords } from '@/lib/live-rules';
import { useT } from '@/hooks/use-t';
import { playBeep } from '../beep';
import { useAlerts } from '../store';

/** What raises an alert (keywords, big gifts, questions) and how it sounds; saved in this window. */
export function AlertSettingsCard() {
  const t = useT();
  const settings = useAlerts((s) => s.settings);
  const update = useAlerts((s) => s.update);
  const [keywords, setKeywords] = useState(settings.keywords.join('，'));
  const [bigGift, setBigGift] = useState(String(settings.bigGiftDiamonds));
  const [questions, setQuestions] = useState(settings.questions);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const save = () => {
    const n = Number(bigGift.trim());
    if (!bigGift.trim() || !Number.isInteger(n) || n < 0 || n > 10_000_000) {
      setError(t('form.intRange', { min: 0, max: 10_000_000 }));
      return;
    }
    setError(null);
    update({ keywords: parseKeywords(keywords), bigGiftDiamonds: n, questions });
    setSaved(true);
    setTimeout(() => setSaved(false), 1500);
  };

  return (
    <Card title={t('alerts.settings')} titleId="alert-settings-title">
      <div className="grid gap-3 md:grid-cols-2">
        <Field label={t('alerts.keywords')}>
          {(id) => <input id={id} className={inputClass} value={keywords} onChange={(e) => setKeywords(e.target.value)} data-testid="alerts-keywords" />}
        </Field>
        <Field label={t('alerts.bigGift')}>
          {(id) => (
            <input id={id} className={inputClass} inputMode="numeric" value={bigGift} onChange={(e) => setBigGift(e.target.value)} aria-invalid={error ? true : undefined} data-testid="alerts-big-gift" />
          )}
        </Field>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={questions} onChange={(e) => setQuestions(e.target.checked)} data-testid="alerts-questions" />
          {t('alerts.questions')}
        </label>
        <Field label={t('alerts.volume')}>
          {(id) => (
            <input id={id} type="range" min={0} max={1} step={0.05} value={settings.volume} onChange={(e) => update({ volume: Number(e.target.value) })} />
          )}
        </Field>
      </div>
      {error && (
        <p role="alert" className="mt-2 text-sm text-rose-600">
          {error}
        </p>
      )}
      <div className="mt-3 flex items-center gap-2">
        <Button onClick={save} data-testid="alerts-save">
          {t('common.save')}
        </Button>
        <Button variant="secondary" onClick={() => playBeep('gift', settings.volume)}>
          {t('alerts.test')}
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
