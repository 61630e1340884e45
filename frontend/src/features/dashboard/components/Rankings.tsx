import { Card } from '@/components/Card';
import { formatCount } from '@/lib/format';
import { useT } from '@/hooks/use-t';
import type { ChatterEntry, GiftRankEntry, HotWord, QuestionEntry } from '@/types/api';
import { formatClock } from '@/lib/format';
import { ViewerName } from '@/components/ViewerName';

const th = 'px-2 py-1 text-left text-xs font-medium text-slate-500';
const td = 'px-2 py-1 text-sm';

export function GiftRanking({ ranking }: { ranking: readonly GiftRankEntry[] }) {
  const t = useT();
  return (
    <Card title={t('dashboard.giftRanking')} titleId="gift-ranking-title">
      {ranking.length === 0 ? (
        <p className="text-sm text-slate-500">{t('common.none')}</p>
      ) : (
        <table className="w-full" aria-labelledby="gift-ranking-title" data-testid="gift-ranking">
          <thead>
            <tr>
              <th className={th} scope="col">{t('dashboard.rank')}</th>
              <th className={th} scope="col">{t('dashboard.nickname')}</th>
              <th className={`${th} text-right`} scope="col">{t('dashboard.diamonds')}</th>
              <th className={`${th} text-right`} scope="col">{t('dashboard.giftCount')}</th>
            </tr>
          </thead>
          <tbody>
            {ranking.slice(0, 20).map((r, i) => (
              <tr key={r.user_id || i} className="odd:bg-slate-50 dark:odd:bg-slate-800/50">
                <td className={`${td} tabular-nums`}>{i + 1}</td>
                <td className={`${td} max-w-[12em] truncate`}><ViewerName user={{ id: r.user_id, nickname: r.nickname ?? undefined }} /></td>
                <td className={`${td} text-right tabular-nums`}>{formatCount(r.diamonds)}</td>
                <td className={`${td} text-right tabular-nums`}>{formatCount(r.gifts)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function TopChatters({ chatters }: { chatters: readonly ChatterEntry[] }) {
  const t = useT();
  const max = chatters.reduce((m, c) => Math.max(m, c.count), 1);
  return (
    <Card title={t('dashboard.topChatters')} titleId="top-chatters-title">
      {chatters.length === 0 ? (
        <p className="text-sm text-slate-500">{t('common.none')}</p>
      ) : (
        <ol className="space-y-1" aria-labelledby="top-chatters-title">
          {chatters.slice(0, 10).map((c, i) => (
            <li key={c.user_id || i} className="text-sm">
              <div className="flex justify-between">
                <ViewerName user={{ id: c.user_id, nickname: c.nickname ?? undefined }} className="truncate" />
                <span className="tabular-nums text-slate-500">{c.count}</span>
              </div>
              <div className="h-1 rounded bg-sky-100 dark:bg-slate-800">
                <div className="h-1 rounded bg-sky-500" style={{ width: `${(c.count / max) * 100}%` }} />
              </div>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

export function HotWords({ words }: { words: readonly HotWord[] }) {
  const t = useT();
  const max = words.reduce((m, w) => Math.max(m, w.count), 1);
  return (
    <Card title={t('dashboard.hotWords')} titleId="hot-words-title">
      {words.length === 0 ? (
        <p className="text-sm text-slate-500">{t('common.none')}</p>
      ) : (
        <ul className="flex flex-wrap gap-2" aria-labelledby="hot-words-title" data-testid="hot-words">
          {words.slice(0, 40).map((w) => (
            <li
              key={w.word}
              className="rounded-full bg-brand-50 px-2 py-0.5 text-brand-700 dark:bg-slate-800 dark:text-brand-400"
              style={{ fontSize: `${0.75 + (w.count / max) * 0.6}rem` }}
              title={String(w.count)}
            >
              {w.word}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function Questions({ questions }: { questions: readonly QuestionEntry[] }) {
  const t = useT();
  return (
    <Card title={t('dashboard.questions')} titleId="questions-title">
      {questions.length === 0 ? (
        <p className="text-sm text-slate-500">{t('common.none')}</p>
      ) : (
        <ul className="max-h-64 space-y-1 overflow-y-auto" aria-labelledby="questions-title">
          {questions.slice(0, 50).map((q) => (
            <li key={q.msg_id} className="text-sm">
              <time className="mr-2 font-mono text-xs text-slate-400">{formatClock(q.ts)}</time>
              <span className="font-medium">{q.user_name}</span>：{q.content}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
