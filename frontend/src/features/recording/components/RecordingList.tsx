import { Button } from '@/components/Button';
import { StatusDot, toneForState } from '@/components/StatusDot';
import { formatBytes, formatDuration } from '@/lib/format';
import { useT, useTOptional } from '@/hooks/use-t';
import type { Recording } from '@/types/api';
import { SUBTITLE_DOWNLOADS, type SubtitleFormat, type SubtitleKind } from '../api/subtitles';

/** Per recorded file: download its subtitles, burn its danmaku into a copy. */
export interface SubtitleActions {
  onDownload: (r: Recording, fileIndex: number, kind: SubtitleKind, format: SubtitleFormat) => void;
  onBurn: (r: Recording, fileIndex: number) => void;
  /** A burn job runs: no second one can start. */
  burning: boolean;
}

const ACTIVE = new Set(['starting', 'recording']);

function RecordingItem({ r, onStop, onOpen, subtitles }: {
  r: Recording;
  onStop: (id: string) => void;
  onOpen?: (path: string) => void;
  subtitles?: SubtitleActions;
}) {
  const t = useT();
  const tOpt = useTOptional();
  const state = String(r.state);
  const size = r.bytes ?? r.files.reduce((n, f) => n + (f.size || 0), 0);
  const duration = r.duration ?? r.files.reduce((n, f) => n + (f.duration || 0), 0);
  const what = r.source;
  const why = r.reason;
  return (
    <li className="py-3" data-testid="recording" data-state={state} data-source={what}>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <StatusDot tone={toneForState(state)} pulse={state === 'recording'} />
        <span className="font-medium">{tOpt(`recording.state.${state}`, state)}</span>
        <span className="font-mono text-xs text-slate-500">{r.recording_id}</span>
        {what && <span className="max-w-[40ch] truncate text-slate-600 dark:text-slate-300" title={what}>{what}</span>}
        <span className="text-xs text-slate-500">
          {t('recording.total', { n: r.files.length, size: formatBytes(size) })} · {formatDuration(duration)}
        </span>
        {why && <span className="text-xs text-rose-600" data-testid="recording-reason">{why}</span>}
        {ACTIVE.has(state) && (
          <Button size="sm" variant="danger" className="ml-auto" onClick={() => onStop(r.recording_id)} data-testid="recording-stop">
            {t('recording.stop')}
          </Button>
        )}
      </div>
      {r.files.length > 0 && (
        <table className="mt-2 w-full text-xs">
          <thead>
            <tr className="text-left text-slate-500">
              <th scope="col" className="px-1 font-medium">{t('recording.files')}</th>
              <th scope="col" className="px-1 text-right font-medium">{t('recording.size')}</th>
              <th scope="col" className="px-1 text-right font-medium">{t('recording.duration')}</th>
              {subtitles && <th scope="col" className="sr-only">{t('recording.subtitles')}</th>}
              {onOpen && <th scope="col" className="sr-only">{t('recording.open')}</th>}
            </tr>
          </thead>
          <tbody>
            {r.files.map((f, index) => (
              <tr key={f.path} data-testid="recording-file">
                <td className="max-w-0 truncate px-1 font-mono" title={f.path}>{f.path}</td>
                <td className="px-1 text-right tabular-nums">{formatBytes(f.size)}</td>
                <td className="px-1 text-right tabular-nums">{formatDuration(f.duration)}</td>
                {subtitles && (
                  <td className="whitespace-nowrap px-1 text-right">
                    {f.path.endsWith('.mp4') && (
                      <>
                        {SUBTITLE_DOWNLOADS.map(({ kind, format }) => (
                          <Button
                            key={`${kind}.${format}`}
                            size="sm"
                            variant="ghost"
                            onClick={() => subtitles.onDownload(r, index, kind, format)}
                            data-testid={`subtitle-${kind}-${format}`}
                          >
                            {t(`recording.subtitle.${kind}`)} {format.toUpperCase()}
                          </Button>
                        ))}
                        <Button
                          size="sm"
                          variant="secondary"
                          disabled={subtitles.burning}
                          title={subtitles.burning ? t('recording.burn.busy') : undefined}
                          onClick={() => subtitles.onBurn(r, index)}
                          data-testid="burn-start"
                        >
                          {t('recording.burn.start')}
                        </Button>
                      </>
                    )}
                  </td>
                )}
                {onOpen && (
                  <td className="px-1 text-right">
                    <Button size="sm" variant="ghost" onClick={() => onOpen(f.path)}>
                      {t('recording.open')}
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

export function RecordingList({ recordings, onStop, onOpen, subtitles }: {
  recordings: readonly Recording[];
  onStop: (id: string) => void;
  onOpen?: (path: string) => void;
  subtitles?: SubtitleActions;
}) {
  const t = useT();
  if (recordings.length === 0) return <p className="text-sm text-slate-500">{t('recording.none')}</p>;
  return (
    <ul className="divide-y divide-slate-100 dark:divide-slate-800" aria-label={t('recording.list')}>
      {recordings.map((r) => (
        <RecordingItem key={r.recording_id} r={r} onStop={onStop} onOpen={onOpen} subtitles={subtitles} />
      ))}
    </ul>
  );
}
