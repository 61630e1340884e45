import { useEffect, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { ErrorLine, ServiceGate } from '@/components/ServiceGate';
import { useApi } from '@/lib/api-context';
import { isApiError } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import { getRecordings, getRooms, startRecording, stopRecording } from '../api/streamcap';
import { cancelBurn, getBurn, getSubtitle, saveText, startBurn, subtitleFileName } from '../api/subtitles';
import { BurnStatusBar } from './BurnStatusBar';
import { RoomList } from './RoomList';
import { RecordingForm } from './RecordingForm';
import { RecordingList, type SubtitleActions } from './RecordingList';
import type { Recording, StartRecordingRequest } from '@/types/api';

/** Rooms, recordings, start/stop; refreshed every 2 s and on every `recording` live event. */
export function RecordingPanel() {
  const t = useT();
  const api = useApi();
  const liveId = useAppStore((s) => s.liveId);
  const recordingEvents = useAppStore((s) => s.log.counts.recording);
  const recs = useResource('recordings', (signal) => getRecordings(api, signal), { intervalMs: 2000 });
  // optional: an older recorder without saved rooms just shows none
  const rooms = useResource('streamcap-rooms', (signal) => getRooms(api, signal), { intervalMs: 10000 });
  // The burn job (烧录弹幕): polled every second, so its progress moves while it runs.
  const burn = useResource('streamcap-burn', (signal) => getBurn(api, signal), { intervalMs: 1000 });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { reload } = recs;

  useEffect(() => {
    if (recordingEvents > 0) reload();
  }, [recordingEvents, reload]);

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      reload();
    } catch (err) {
      setError(isApiError(err) ? t('common.error', { detail: err.detail || err.kind }) : String(err));
    } finally {
      setBusy(false);
    }
  };
  const onStart = (req: StartRecordingRequest) => void run(() => startRecording(api, req));
  const onStop = (id: string) => void run(() => stopRecording(api, id));
  const subtitles: SubtitleActions = {
    burning: burn.data?.state === 'running',
    onDownload: (r: Recording, file, kind, format) =>
      void run(async () => {
        const text = await getSubtitle(api, r.recording_id, file, kind, format);
        saveText(text, subtitleFileName(r.files[file]?.path ?? r.recording_id, kind, format));
      }),
    onBurn: (r: Recording, file) =>
      void run(async () => {
        await startBurn(api, r.recording_id, file);
        burn.reload();
      }),
  };
  const onCancelBurn = () =>
    void run(async () => {
      await cancelBurn(api);
      burn.reload();
    });
  const openPath = window.timao ? (p: string) => void window.timao?.openPath(p) : undefined;

  return (
    <div className="flex flex-col gap-4">
      <Card title={t('recording.title')} titleId="recording-title">
        <RecordingForm onStart={onStart} busy={busy} />
        {liveId && (
          <div className="mt-3 flex items-center gap-2 text-sm">
            <span className="text-slate-500">{t('recording.rooms')}：</span>
            <span className="font-mono">{liveId}</span>
            <Button size="sm" variant="secondary" disabled={busy} onClick={() => onStart({ platform: 'douyin', stream_url: liveId })} data-testid="record-current-room">
              {t('recording.recordNow')}
            </Button>
          </div>
        )}
        <RoomList
          rooms={rooms.data?.rooms ?? []}
          busy={busy}
          onRecord={(r) => onStart({ platform: r.platform, stream_url: r.url, ...(r.quality ? { quality: r.quality } : {}) })}
        />
        {error && <div className="mt-2"><ErrorLine message={error} /></div>}
      </Card>
      <Card title={t('recording.list')} titleId="recording-list-title" actions={<Button size="sm" variant="secondary" onClick={reload}>{t('common.refresh')}</Button>}>
        <BurnStatusBar status={burn.data} onCancel={onCancelBurn} busy={busy} />
        <ServiceGate error={recs.error} service="streamcap" hasData={recs.data !== null}>
          <RecordingList recordings={recs.data?.recordings ?? []} onStop={onStop} onOpen={openPath} subtitles={subtitles} />
        </ServiceGate>
      </Card>
    </div>
  );
}
