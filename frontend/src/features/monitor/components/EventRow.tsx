import { memo } from 'react';
import { formatClock } from '@/lib/format';
import type { TFunction } from '@/lib/i18n';
import type { LiveEvent, LiveEventType } from '@/types/events';
import { ViewerName } from '@/components/ViewerName';

const typeClass: Record<LiveEventType, string> = {
  chat: 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100',
  emoji_chat: 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100',
  gift: 'bg-brand-100 text-brand-700 dark:bg-brand-700 dark:text-white',
  like: 'bg-pink-100 text-pink-700 dark:bg-pink-900 dark:text-pink-100',
  member: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300',
  follow: 'bg-emerald-100 text-emerald-700 dark:bg-emerald-900 dark:text-emerald-100',
  share: 'bg-violet-100 text-violet-700 dark:bg-violet-900 dark:text-violet-100',
  room_stats: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300',
  fansclub: 'bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-100',
  control: 'bg-rose-100 text-rose-700 dark:bg-rose-900 dark:text-rose-100',
  room_rank: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300',
  transcript: 'bg-teal-100 text-teal-700 dark:bg-teal-900 dark:text-teal-100',
  recording: 'bg-indigo-100 text-indigo-700 dark:bg-indigo-900 dark:text-indigo-100',
  service: 'bg-rose-100 text-rose-700 dark:bg-rose-900 dark:text-rose-100',
  ast_job: 'bg-teal-100 text-teal-700 dark:bg-teal-900 dark:text-teal-100',
  stats: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300', // never in the feed
};

export function eventSummary(ev: LiveEvent, t: TFunction): string {
  switch (ev.type) {
    case 'chat':
    case 'emoji_chat':
    case 'fansclub':
      return ev.data.content ?? '';
    case 'gift': {
      const n = Number(ev.data.repeat_count) || Number(ev.data.combo_count) || Number(ev.data.delta) || 1;
      const diamonds = Number(ev.data.diamond_count) || 0;
      return `${t('event.text.gift', { gift: ev.data.gift_name ?? '', n })}${diamonds ? ` · ${t('event.text.diamonds', { n: diamonds })}` : ''}`;
    }
    case 'like':
      return t('event.text.like', { n: Number(ev.data.count) || 1 });
    case 'member':
      return t('event.text.member');
    case 'follow':
      return t('event.text.follow');
    case 'share':
      return t('event.text.share');
    case 'room_stats':
      return t('event.text.room_stats', { n: Number(ev.data.online) || 0 });
    case 'control':
      return t('event.text.control', { status: ev.data.status });
    case 'transcript':
      return ev.data.text ?? '';
    case 'recording':
      return `${ev.data.recording_id} ${ev.data.state}${ev.data.file ? ` ${ev.data.file}` : ''}`;
    case 'service':
      return `${ev.data.service}: ${ev.data.state}${ev.data.reason ? ` (${ev.data.reason})` : ''}`;
    case 'ast_job':
      return `${ev.data.previous ?? ''} → ${ev.data.state}${ev.data.worker_id ? ` @${ev.data.worker_id}` : ''}`;
    case 'room_rank':
    case 'stats':
      return '';
  }
}

/** Row marks of an alert's kind (keyword, question, big gift); any other kind gets the generic mark. */
const alertClass: Record<string, string> = {
  gift: 'bg-amber-50 ring-1 ring-inset ring-amber-300 dark:bg-amber-950 dark:ring-amber-700',
  keyword: 'bg-rose-50 ring-1 ring-inset ring-rose-300 dark:bg-rose-950 dark:ring-rose-700',
  question: 'bg-sky-50 ring-1 ring-inset ring-sky-300 dark:bg-sky-950 dark:ring-sky-700',
};

export const EventRow = memo(function EventRow({ ev, t, alert = null }: { ev: LiveEvent | undefined; t: TFunction; alert?: string | null }) {
  if (!ev) return <div className="px-2 text-xs leading-7 text-slate-400">…</div>;
  const marked = alert ? ` rounded ${alertClass[alert] ?? 'bg-amber-50 ring-1 ring-inset ring-amber-300'}` : '';
  return (
    <div className={`flex items-center gap-2 px-2 text-sm leading-7${marked}`} data-type={ev.type} data-alert={alert ?? undefined}>
      <time className="shrink-0 font-mono text-xs tabular-nums text-slate-400">{formatClock(ev.ts)}</time>
      <span className={`shrink-0 rounded px-1.5 text-[11px] leading-5 ${typeClass[ev.type]}`}>{t(`event.${ev.type}`)}</span>
      {ev.user?.nickname && (
        <ViewerName
          user={ev.user}
          className="max-w-[12em] shrink-0 truncate font-medium text-slate-700 dark:text-slate-200"
          title={ev.user.masked ? t('monitor.maskedUser') : undefined}
        />
      )}
      <span className="min-w-0 truncate">{eventSummary(ev, t)}</span>
    </div>
  );
});
