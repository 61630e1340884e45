import { DouyinLoginButton } from '@/features/account/components/DouyinLoginButton';
import { RoomControl } from '@/features/monitor/components/RoomControl';
import { LiveStats } from '@/features/monitor/components/LiveStats';
import { ComboPanel } from '@/features/monitor/components/ComboPanel';
import { EventStream } from '@/features/monitor/components/EventStream';
import { LuckyDraw } from '@/features/show/components/LuckyDraw';
import { useAppStore } from '@/stores/app-store';

export function MonitorRoute() {
  const sessionId = useAppStore((s) => s.sessionId);
  return (
    <div className="flex h-full min-h-[640px] flex-col gap-3">
      <div className="grid gap-3 xl:grid-cols-[1fr_320px] xl:items-start">
        <RoomControl actions={<DouyinLoginButton compact />} />
        <ComboPanel />
      </div>
      <LiveStats />
      <EventStream />
      <LuckyDraw sessionId={sessionId} />
    </div>
  );
}
