import { useEffect, useState } from 'react';
import { StatusDot, toneForState } from '@/components/StatusDot';
import type { BackendStatusChannelPayload } from '@/types/bridge';

/** In the desktop shell: the backend process's own state while it is not simply running. */
export function DesktopBackendBadge() {
  const [status, setStatus] = useState<BackendStatusChannelPayload | null>(null);
  useEffect(() => window.timao?.onBackendStatus(setStatus), []);
  if (!status || status.state === 'running') return null;
  return (
    <span role="status" className="flex items-center gap-1.5 text-xs text-amber-700 dark:text-amber-400" data-testid="desktop-backend" title={status.detail}>
      <StatusDot tone={toneForState(status.state)} pulse />
      TimaoBackend: {status.state}
      {status.detail ? ` · ${status.detail}` : ''}
    </span>
  );
}
