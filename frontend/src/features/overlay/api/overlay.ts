import type { ApiClient } from '@/lib/api-client';
import type { OverlayKind, OverlayStyle } from '../lib/style';

/** The overlay key routes (docs/api/README.md, overlay; docs/contracts.md, Overlay). */
export interface OverlayKeyInfo {
  key: string;
  url: string;
  urls: Record<OverlayKind, string>;
  name: string;
  style: OverlayStyle;
  created_ms: number;
}

const enc = encodeURIComponent;

export function listOverlayKeys(api: ApiClient, signal?: AbortSignal): Promise<{ keys: OverlayKeyInfo[] }> {
  return api.get<{ keys: OverlayKeyInfo[] }>('/api/overlay/keys', { signal });
}

export function createOverlayKey(api: ApiClient, name: string, style?: OverlayStyle): Promise<OverlayKeyInfo> {
  return api.post<OverlayKeyInfo>('/api/overlay/keys', style ? { name, style } : { name });
}

export function revokeOverlayKey(api: ApiClient, key: string): Promise<{ key: string; revoked: boolean }> {
  return api.request<{ key: string; revoked: boolean }>('DELETE', `/api/overlay/keys/${enc(key)}`);
}

export function saveOverlayStyle(api: ApiClient, key: string, style: OverlayStyle): Promise<OverlayKeyInfo> {
  return api.put<OverlayKeyInfo>(`/api/overlay/keys/${enc(key)}/style`, style);
}
