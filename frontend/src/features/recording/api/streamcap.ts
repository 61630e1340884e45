import type { ApiClient } from '@/lib/api-client';
import type { RecordingsResponse, StartRecordingRequest, StartRecordingResponse, StreamcapRoomsResponse, SuccessResponse } from '@/types/api';

export function getRecordings(api: ApiClient, signal?: AbortSignal): Promise<RecordingsResponse> {
  return api.get<RecordingsResponse>('/api/streamcap/recordings', { signal });
}

export function startRecording(api: ApiClient, req: StartRecordingRequest): Promise<StartRecordingResponse> {
  return api.post<StartRecordingResponse>('/api/streamcap/start', req, { timeoutMs: 30000 });
}

export function stopRecording(api: ApiClient, recordingId: string): Promise<SuccessResponse> {
  return api.post<SuccessResponse>('/api/streamcap/stop', { recording_id: recordingId }, { timeoutMs: 30000 });
}

/** StreamCap's saved rooms (its own API, reached through the gateway's pass-through). */
export function getRooms(api: ApiClient, signal?: AbortSignal): Promise<StreamcapRoomsResponse> {
  return api.get<StreamcapRoomsResponse>('/api/streamcap/rooms', { signal, retries: 0 });
}
