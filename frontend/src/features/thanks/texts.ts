import { useAppStore } from '@/stores/app-store';

/** The thank-you board's UI text: Simplified Chinese first, English available. */
const zh = {
  title: '感谢榜',
  empty: '礼物连击结束后，这里会出现感谢语。',
  running: '{n} 个连击进行中',
  copy: '复制',
  copyTitle: '复制感谢语',
};

const en: Record<keyof typeof zh, string> = {
  title: 'Thank-you board',
  empty: 'Thank-yous appear here once a gift combo has ended.',
  running: '{n} combo(s) running',
  copy: 'Copy',
  copyTitle: 'Copy the thank-you',
};

export function useThanksText(): (key: keyof typeof zh, params?: Record<string, string | number>) => string {
  const lang = useAppStore((s) => s.lang);
  const table = lang === 'en' ? en : zh;
  return (key, params) => {
    let text: string = table[key];
    for (const [k, v] of Object.entries(params ?? {})) text = text.replace(`{${k}}`, String(v));
    return text;
  };
}
