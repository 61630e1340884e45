import type { ApiClient } from '@/lib/api-client';
import type { components } from '@/types/openapi.gen';

/** The burn job (烧录弹幕), as `GET /api/streamcap/burn` answers it. */
export type BurnStatus = components['schemas']['BurnStatusResponse'];
export type SubtitleKind = 'danmaku' | 'speech';
export type SubtitleFormat = 'ass' | 'srt' | 'vtt';

/** What the recording page offers per file: the danmaku as ASS, the streamer's speech as SRT and VTT. */
export const SUBTITLE_DOWNLOADS: ReadonlyArray<{ kind: SubtitleKind; format: SubtitleFormat }> = [
  { kind: 'danmaku', format: 'ass' },
  { kind: 'speech', format: 'srt' },
  { kind: 'speech', format: 'vtt' },
];

const base = (recordingId: string) => `/api/streamcap/recordings/${encodeURIComponent(recordingId)}`;

export function getSubtitle(
  api: ApiClient,
  recordingId: string,
  file: number,
  kind: SubtitleKind,
  format: SubtitleFormat,
): Promise<string> {
  // Writing a long show's danmaku the first time takes a few seconds.
  return api.getText(`${base(recordingId)}/subtitles`, { query: { kind, format, file }, timeoutMs: 60000 });
}

export function startBurn(api: ApiClient, recordingId: string, file: number): Promise<BurnStatus> {
  return api.post<BurnStatus>(`${base(recordingId)}/burn`, { file }, { timeoutMs: 60000 });
}

export function getBurn(api: ApiClient, signal?: AbortSignal): Promise<BurnStatus> {
  return api.get<BurnStatus>('/api/streamcap/burn', { signal, retries: 0 });
}

export function cancelBurn(api: ApiClient): Promise<BurnStatus> {
  return api.delete<BurnStatus>('/api/streamcap/burn', { timeoutMs: 20000 });
}

/** The file name a subtitle is saved under: the recording file's own name with `.danmaku.ass` and so on. */
export function subtitleFileName(mediaPath: string, kind: SubtitleKind, format: SubtitleFormat): string {
  const name = mediaPath.split(/[\\/]/).pop() || 'recording';
  const stem = name.replace(/\.[^.]+$/, '');
  return `${stem}.${kind}.${format}`;
}

/** Save text as a file through the browser's download (also in the desktop shell). */
export function saveText(text: string, fileName: string, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = fileName;
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
