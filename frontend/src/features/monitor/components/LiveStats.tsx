import { StatCard } from '@/components/StatCard';
import { Sparkline } from '@/components/Sparkline';
import { Card } from '@/components/Card';
import { formatCount } from '@/lib/format';
import { useAppStore } from '@/stores/app-store';
import { useT } from '@/hooks/use-t';

/** Headline numbers and the viewer sparkline, redrawn at most once per frame. */
export function LiveStats() {
  const t = useT();
  useAppStore((s) => s.liveVersion);
  const log = useAppStore((s) => s.log);
  const viewers = log.viewers.slice(-120).map((p) => p.online);
  // The gateway's totals cover the whole show (also before this page was opened); the counts seen here may be a
  // second ahead of them, so the larger one is shown.
  const atLeast = (seen: number, key: 'comments' | 'gifts' | 'diamonds') => Math.max(seen, log.showTotal(key) ?? 0);
  return (
    <div className="grid gap-3 lg:grid-cols-[1fr_auto]">
      <dl className="grid grid-cols-3 gap-2 sm:grid-cols-6">
        <StatCard label={t('monitor.online')} value={formatCount(log.online)} testId="stat-online" />
        <StatCard label={t('monitor.comments')} value={formatCount(atLeast(log.counts.chat + log.counts.emoji_chat, 'comments'))} testId="stat-comments" />
        <StatCard label={t('monitor.gifts')} value={formatCount(atLeast(log.giftsTotal, 'gifts'))} testId="stat-gifts" />
        <StatCard label={t('monitor.diamonds')} value={formatCount(atLeast(log.diamondsTotal, 'diamonds'))} testId="stat-diamonds" />
        <StatCard label={t('monitor.likes')} value={formatCount(log.likesTotal)} testId="stat-likes" />
        <StatCard label={t('monitor.events')} value={formatCount(log.nextSeq)} testId="stat-events" />
      </dl>
      <Card title={t('monitor.viewers')} className="!p-2">
        <Sparkline values={viewers} label={t('monitor.viewers')} width={260} height={44} />
      </Card>
    </div>
  );
}
