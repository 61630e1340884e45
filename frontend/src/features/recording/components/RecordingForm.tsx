import { useState, type FormEvent } from 'react';
import { Button } from '@/components/Button';
import { Field, inputClass } from '@/components/Field';
import { useT } from '@/hooks/use-t';
import type { StartRecordingRequest } from '@/types/api';

export const QUALITIES = ['origin', 'uhd', 'hd', 'sd', 'ld'] as const;
type PlatformChoice = 'douyin' | 'direct' | 'other';

export function RecordingForm({ onStart, busy, initialUrl = '' }: {
  onStart: (req: StartRecordingRequest) => void;
  busy: boolean;
  initialUrl?: string;
}) {
  const t = useT();
  const [platform, setPlatform] = useState<PlatformChoice>('douyin');
  const [otherName, setOtherName] = useState('');
  const [url, setUrl] = useState(initialUrl);
  const [quality, setQuality] = useState<string>('origin');
  const [segment, setSegment] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!url.trim()) return;
    const req: StartRecordingRequest = {
      platform: platform === 'other' ? otherName.trim() || 'streamlink' : platform,
      stream_url: url.trim(),
      quality,
    };
    const seg = Number(segment);
    if (segment && Number.isFinite(seg) && seg > 0) req.segment_seconds = Math.round(seg);
    onStart(req);
  };

  return (
    <form onSubmit={submit} className="grid gap-3 md:grid-cols-[auto_1fr_auto_auto_auto] md:items-end">
      <Field label={t('recording.platform')}>
        {(id) => (
          <select id={id} className={inputClass} value={platform} onChange={(e) => setPlatform(e.target.value as PlatformChoice)}>
            <option value="douyin">{t('recording.platform.douyin')}</option>
            <option value="direct">{t('recording.platform.direct')}</option>
            <option value="other">{t('recording.platform.other')}</option>
          </select>
        )}
      </Field>
      <div className="flex gap-2">
        {platform === 'other' && (
          <Field label={t('recording.platform')} className="w-32">
            {(id) => <input id={id} className={inputClass} value={otherName} placeholder="bilibili" onChange={(e) => setOtherName(e.target.value)} />}
          </Field>
        )}
        <Field label={t('recording.url')} className="flex-1">
          {(id) => (
            <input
              id={id}
              className={inputClass}
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://live.douyin.com/123456789"
              data-testid="recording-url"
            />
          )}
        </Field>
      </div>
      <Field label={t('recording.quality')}>
        {(id) => (
          <select id={id} className={inputClass} value={quality} onChange={(e) => setQuality(e.target.value)}>
            {QUALITIES.map((q) => (
              <option key={q} value={q}>
                {t(`quality.${q}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('recording.segment')} className="w-28">
        {(id) => <input id={id} className={inputClass} inputMode="numeric" value={segment} onChange={(e) => setSegment(e.target.value)} placeholder="1800" />}
      </Field>
      <Button type="submit" disabled={busy || !url.trim()} data-testid="recording-start">
        {t('recording.start')}
      </Button>
    </form>
  );
}
