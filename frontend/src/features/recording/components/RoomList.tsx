import { Button } from '@/components/Button';
import { StatusDot, toneForState } from '@/components/StatusDot';
import { useT } from '@/hooks/use-t';
import type { StreamcapRoom } from '@/types/api';

/** StreamCap's saved rooms, each recordable with one click. */
export function RoomList({ rooms, busy, onRecord }: { rooms: readonly StreamcapRoom[]; busy: boolean; onRecord: (room: StreamcapRoom) => void }) {
  const t = useT();
  if (rooms.length === 0) return null;
  return (
    <ul className="mt-3 divide-y divide-slate-100 dark:divide-slate-800" aria-label={t('recording.rooms')} data-testid="streamcap-rooms">
      {rooms.map((r) => (
        <li key={r.id} className="flex items-center gap-2 py-1.5 text-sm">
          <StatusDot tone={toneForState(r.status ?? 'idle')} pulse={r.status === 'recording'} />
          <span className="font-medium">{r.name || r.url}</span>
          <span className="text-xs text-slate-500">{r.platform}</span>
          {r.name && <span className="max-w-[40ch] truncate text-xs text-slate-500">{r.url}</span>}
          {r.status !== 'recording' && (
            <Button size="sm" variant="secondary" className="ml-auto" disabled={busy} onClick={() => onRecord(r)}>
              {t('recording.recordNow')}
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}
