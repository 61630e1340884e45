import { useDeferredValue, useState } from 'react';
import { Card } from '@/components/Card';
import { inputClass } from '@/components/Field';
import { formatDuration } from '@/lib/format';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import type { TranscriptEntry } from '@/types/api';

/** The newest subtitles from the live stream, biggest line last. */
export function LiveSubtitles({ sessionIds }: { sessionIds: ReadonlySet<string> | null }) {
  const t = useT();
  useAppStore((s) => s.liveVersion);
  const log = useAppStore((s) => s.log);
  const lines = log.transcripts.filter((e) => !sessionIds || sessionIds.size === 0 || sessionIds.has(e.session_id)).slice(-6);
  return (
    <Card title={t('voice.live')} titleId="live-subtitles-title">
      <div aria-live="polite" aria-labelledby="live-subtitles-title" className="min-h-[120px] space-y-1" data-testid="live-subtitles">
        {lines.length === 0 ? (
          <p className="text-sm text-slate-500">{t('voice.waiting')}</p>
        ) : (
          lines.map((e, i) => (
            <p key={`${e.session_id}:${e.data.start_ms}:${i}`} className={i === lines.length - 1 ? 'text-xl font-medium' : 'text-sm text-slate-500'}>
              {e.data.text}
            </p>
          ))
        )}
      </div>
    </Card>
  );
}

export function TranscriptHistory({ transcripts, title }: { transcripts: readonly TranscriptEntry[]; title: string }) {
  const t = useT();
  const [query, setQuery] = useState('');
  const q = useDeferredValue(query).trim().toLowerCase();
  const shown = q ? transcripts.filter((x) => x.text.toLowerCase().includes(q)) : transcripts;
  return (
    <Card
      title={title}
      titleId="transcript-history-title"
      actions={
        <input
          type="search"
          aria-label={t('voice.searchPlaceholder')}
          placeholder={t('voice.searchPlaceholder')}
          className={`${inputClass} !w-56 !py-1`}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="transcript-search"
        />
      }
    >
      {shown.length === 0 ? (
        <p className="text-sm text-slate-500">{t('common.none')}</p>
      ) : (
        <ol className="max-h-96 space-y-1 overflow-y-auto" data-testid="transcript-history">
          {shown.map((x, i) => (
            <li key={`${x.start_ms}:${i}`} className="text-sm">
              <span className="mr-2 font-mono text-xs text-slate-400">{formatDuration((x.start_ms ?? 0) / 1000)}</span>
              {x.text}
              {x.confidence != null && <span className="ml-2 text-xs text-slate-400">{Math.round(x.confidence * 100)}%</span>}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
