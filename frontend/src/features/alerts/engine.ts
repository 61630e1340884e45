import { alertMatch, giftSendDiamonds, giftSendKey, giftUnits, speakableName, type AlertKind, type AlertRules } from '@/lib/live-rules';
import type { LiveEvent } from '@/types/events';

/**
 * Alerts (提醒): a comment with a keyword, a question, or a big gift (a send worth ≥ N diamonds) makes a sound, a
 * highlight in the live feed and a line in the alerts list. Which events match is `alertMatch` (lib/live-rules.ts),
 * shared with the feed's highlight; this keeps the list (one line per gift send, the newest first, bounded) and
 * spaces the sounds out so a flood of matches is one beep a second, not a drone.
 */

export interface AlertSettings extends AlertRules {
  sound: boolean;
  /** 0–1 */
  volume: number;
}

export const DEFAULT_ALERTS: AlertSettings = {
  enabled: true,
  sound: true,
  volume: 0.5,
  keywords: ['链接', '多少钱', '怎么买'],
  bigGiftDiamonds: 100,
  questions: true,
};

export interface AlertItem {
  id: number;
  kind: AlertKind;
  keyword?: string;
  /** the event's own time (ms since the epoch) */
  ts: number;
  sessionId: string;
  name: string;
  text: string;
  /** a big gift's send value so far */
  diamonds?: number;
}

export const MAX_ALERTS = 200;
export const BEEP_GAP_MS = 1000;
const MAX_GIFT_KEYS = 5000;

export interface Offered {
  item: AlertItem;
  /** true when this alert should sound (sound on, and the last beep was long enough ago) */
  beep: boolean;
}

export class AlertEngine {
  private settings: AlertSettings;
  private giftKeys = new Set<string>();
  private lastBeep = -Infinity;
  private nextId = 1;
  items: AlertItem[] = [];

  constructor(settings: AlertSettings = DEFAULT_ALERTS, private readonly now: () => number = () => Date.now()) {
    this.settings = settings;
  }

  configure(settings: AlertSettings): void {
    this.settings = settings;
  }

  offer(ev: LiveEvent): Offered | null {
    const match = alertMatch(ev, this.settings);
    if (!match) return null;
    let text = '';
    let diamonds: number | undefined;
    if (ev.type === 'gift') {
      const key = giftSendKey(ev);
      if (this.giftKeys.has(key)) return null; // one alert per send
      this.giftKeys.add(key);
      if (this.giftKeys.size > MAX_GIFT_KEYS) {
        const oldest = this.giftKeys.values().next().value;
        if (oldest !== undefined) this.giftKeys.delete(oldest);
      }
      diamonds = giftSendDiamonds(ev);
      const units = giftUnits(ev);
      text = `${ev.data.gift_name || ev.data.gift_id}${units > 1 ? ` ×${units}` : ''}`;
    } else if (ev.type === 'chat') {
      text = ev.data.content ?? '';
    }
    const item: AlertItem = {
      id: this.nextId++,
      kind: match.kind,
      ts: ev.ts,
      sessionId: ev.session_id,
      name: ev.user?.nickname || speakableName(ev.user),
      text,
      ...(match.keyword !== undefined ? { keyword: match.keyword } : {}),
      ...(diamonds !== undefined ? { diamonds } : {}),
    };
    this.items.unshift(item);
    if (this.items.length > MAX_ALERTS) this.items.length = MAX_ALERTS;
    const t = this.now();
    const beep = this.settings.sound && t - this.lastBeep >= BEEP_GAP_MS;
    if (beep) this.lastBeep = t;
    return { item, beep };
  }

  clear(): void {
    this.items = [];
  }
}
