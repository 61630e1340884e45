import { useEffect, useRef, useState } from 'react';
import { Button } from '@/components/Button';
import { Card } from '@/components/Card';
import { formatClock } from '@/lib/format';
import type { LiveLog } from '@/lib/live-log';
import { useAppStore } from '@/stores/app-store';
import type { LiveEvent } from '@/types/events';
import { giftsText, ThankBoard, thankText, type Thank } from '@/lib/thanks';
import { useThanksText } from '../texts';

const TICK_MS = 500;
const SHOWN = 30;

/**
 * The thank-you board (感谢榜) of the desktop app: the same merging as the `thanks` overlay (@/lib/thanks), fed
 * from the live log. Only events that arrive while the panel is open are thanked (history is for the report).
 */
export function ThanksPanel({ mergeWindowS = 5 }: { mergeWindowS?: number }) {
  const t = useThanksText();
  const log = useAppStore((s) => s.log);
  const version = useAppStore((s) => s.liveVersion);
  const board = useRef<ThankBoard | null>(null);
  const cursor = useRef<{ log: LiveLog | null; seq: number }>({ log: null, seq: 0 });
  const [thanks, setThanks] = useState<Thank[]>([]);
  const [running, setRunning] = useState(0);

  if (board.current === null) board.current = new ThankBoard({ mergeWindowMs: mergeWindowS * 1000, capacity: 100 });

  const publish = () => {
    const b = board.current as ThankBoard;
    setThanks(b.thanks.slice(-SHOWN).reverse().map((x) => ({ ...x, gifts: [...x.gifts] })));
    setRunning(b.running);
  };

  // New events since the last look: start at the log's end the first time (or after the log was replaced).
  useEffect(() => {
    const c = cursor.current;
    if (c.log !== log) {
      c.log = log;
      c.seq = log.nextSeq;
      return;
    }
    const from = Math.max(c.seq, log.firstSeq);
    const events: LiveEvent[] = [];
    for (let seq = from; seq < log.nextSeq; seq += 1) {
      const ev = log.get(seq);
      if (ev?.type === 'gift') events.push(ev);
    }
    c.seq = log.nextSeq;
    const b = board.current as ThankBoard;
    if (events.length && b.push(events, Date.now())) publish();
    else if (events.length) setRunning(b.running);
  }, [log, version]);

  useEffect(() => {
    const timer = window.setInterval(() => {
      if ((board.current as ThankBoard).tick(Date.now())) publish();
      else setRunning((board.current as ThankBoard).running);
    }, TICK_MS);
    return () => window.clearInterval(timer);
  }, []);

  return (
    <Card
      title={t('title')}
      titleId="thanks-title"
      actions={running > 0 ? <span className="text-xs text-slate-500">{t('running', { n: running })}</span> : undefined}
    >
      {thanks.length === 0 ? (
        <p className="text-sm text-slate-500">{t('empty')}</p>
      ) : (
        <ul className="max-h-72 space-y-1 overflow-y-auto" data-testid="thanks-list" aria-live="polite">
          {thanks.map((x) => (
            <li key={x.id} className="flex items-baseline gap-2 text-sm" data-testid="thank">
              <span className="shrink-0 text-xs tabular-nums text-slate-400">{formatClock(x.updatedAt)}</span>
              <span className="min-w-0 flex-1 break-words">
                感谢 <span className="font-medium">{x.name}</span> 送出{' '}
                <span className="font-semibold text-brand-600">{giftsText(x)}</span>
              </span>
              <Button size="sm" variant="ghost" title={t('copyTitle')} onClick={() => void navigator.clipboard?.writeText(thankText(x))}>
                {t('copy')}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
