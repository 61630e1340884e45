import { useEffect, useRef } from 'react';
import type { LiveEvent } from '@/types/events';
import '../lib/overlay.css';
import { OverlayView } from '../lib/render';
import type { OverlayKind, OverlayStyle } from '../lib/style';

const NAMES = ['小明', '一个名字特别特别特别长的观众🌟', '提猫粉丝', '用户****', '夜猫子🐱'];
const LINES = ['主播好！', '这首歌太好听了 🎵🎵', '扣1', '哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈', '[比心][比心]', '今天几点下播？'];
const GIFTS: Array<[name: string, price: number]> = [
  ['小心心', 1],
  ['玫瑰', 1],
  ['棒棒糖', 9],
  ['嘉年华', 30000],
];

/** Made-up events for the preview: comments, combos that end, follows, fan club, viewer counts. */
export function sampleEvents(i: number): LiveEvent[] {
  const name = NAMES[i % NAMES.length] as string;
  const user = { id: `preview-${i % NAMES.length}`, nickname: name };
  const base = { session_id: 'preview', msg_id: `p${i}`, ts: Date.now(), user };
  const [gift, price] = GIFTS[Math.floor(i / 3) % GIFTS.length] as [string, number];
  const out: LiveEvent[] = [{ ...base, type: 'chat', data: { content: LINES[i % LINES.length] as string } }];
  if (i % 3 === 0) {
    const giftData = {
      gift_id: gift,
      gift_name: gift,
      diamond_count: price,
      group_count: 1,
      combo_count: 0,
      repeat_count: 0,
      group_id: `pg${Math.floor(i / 6)}`,
    };
    out.push({ ...base, msg_id: `pg${i}`, type: 'gift', data: { ...giftData, repeat_end: i % 6 === 3, delta: 1 + (i % 10) } });
  }
  if (i % 7 === 0) out.push({ ...base, msg_id: `pf${i}`, type: 'follow', data: {} });
  if (i % 11 === 0) out.push({ ...base, msg_id: `pc${i}`, type: 'fansclub', data: { kind: 2, content: `${name} 加入了粉丝团` } });
  out.push({ ...base, msg_id: `ps${i}`, type: 'room_stats', data: { online: 1000 + ((i * 37) % 900) } });
  out.push({ ...base, msg_id: `pl${i}`, type: 'like', data: { count: 3, total: 5000 + i * 3 } });
  return out;
}

/** The style editor's live preview: the overlay's own renderer on a checkerboard (the transparent background). */
export function OverlayPreview({ kind, style }: { kind: OverlayKind; style: OverlayStyle }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<OverlayView | null>(null);
  const styleRef = useRef(style);
  styleRef.current = style;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const v = new OverlayView(el, kind, styleRef.current);
    view.current = v;
    let i = 0;
    v.push(sampleEvents(i++));
    const feed = window.setInterval(() => v.push(sampleEvents(i++)), 900);
    let raf = 0;
    const loop = () => {
      v.frame();
      raf = window.requestAnimationFrame(loop);
    };
    raf = window.requestAnimationFrame(loop);
    return () => {
      window.clearInterval(feed);
      window.cancelAnimationFrame(raf);
      v.destroy();
      el.className = '';
      view.current = null;
    };
  }, [kind]);

  useEffect(() => {
    view.current?.setStyle(style);
  }, [style]);

  return (
    <div
      className="h-72 overflow-hidden rounded-md ring-1 ring-slate-300 dark:ring-slate-700"
      style={{
        backgroundColor: '#3f4750',
        backgroundImage:
          'linear-gradient(45deg,#59626c 25%,transparent 25%),linear-gradient(-45deg,#59626c 25%,transparent 25%),linear-gradient(45deg,transparent 75%,#59626c 75%),linear-gradient(-45deg,transparent 75%,#59626c 75%)',
        backgroundSize: '20px 20px',
        backgroundPosition: '0 0,0 10px,10px -10px,-10px 0',
      }}
      data-testid="overlay-preview"
    >
      <div ref={host} className="h-full w-full" />
    </div>
  );
}
