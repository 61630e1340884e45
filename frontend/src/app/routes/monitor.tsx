import { DouyinLoginButton } from '@/features/account/components/DouyinLoginButton';
import { RoomControl } from '@/features/monitor/components/RoomControl';
import { LiveStats } from '@/features/monitor/components/LiveStats';
import { ComboPanel } from '@/features/monitor/components/ComboPanel';
import { EventStream } from '@/features/monitor/components/EventStream';
import { LuckyDraw } from '@/features/show/components/LuckyDraw';
import { ReadAloudPanel } from '@/features/readaloud/components/ReadAloudPanel';
import { AlertsPanel, useAlertHighlight } from '@/features/alerts/components/AlertsPanel';
import { ThanksPanel } from '@/features/thanks/components/ThanksPanel';
import { useAppStore } from '@/stores/app-store';

export function MonitorRoute() {
  const sessionId = useAppStore((s) => s.sessionId);
  const highlight = useAlertHighlight();
  return (
    <div className="flex h-full min-h-[640px] flex-col gap-3">
      <div className="grid gap-3 xl:grid-cols-[1fr_320px] xl:items-start">
        <RoomControl actions={<DouyinLoginButton compact />} />
        <ComboPanel />
      </div>
      <LiveStats />
      {/* the feed keeps a usable height however many panels follow it: the page scrolls instead */}
      <div className="flex min-h-[420px] flex-1 flex-col">
        <EventStream highlight={highlight} />
      </div>
      <div className="grid gap-3 lg:grid-cols-2">
        <ReadAloudPanel />
        <AlertsPanel />
      </div>
      <ThanksPanel />
      <LuckyDraw sessionId={sessionId} />
    </div>
  );
}
