import { useEffect, useState } from 'react';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';
import { StatusDot, toneForState } from '@/components/StatusDot';

/** The live connection's state; while reconnecting it counts down to the next try. */
export function WsBadge() {
  const t = useT();
  const ws = useAppStore((s) => s.ws);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (ws.state !== 'reconnecting') return;
    const id = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(id);
  }, [ws.state]);
  const secs = ws.retryAt ? Math.max(0, Math.ceil((ws.retryAt - now) / 1000)) : 0;
  const text =
    ws.state === 'reconnecting' ? t('ws.reconnecting', { n: ws.attempt, s: secs }) : t(`ws.${ws.state}` as const);
  return (
    <span
      role="status"
      aria-label={t('ws.label')}
      className="flex items-center gap-1.5 text-xs"
      data-testid="ws-state"
      data-state={ws.state}
    >
      <StatusDot tone={toneForState(ws.state)} pulse={ws.state === 'reconnecting' || ws.state === 'connecting'} />
      {text}
    </span>
  );
}
