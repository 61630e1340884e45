import { useAppStore } from '@/stores/app-store';

/** The overlay panel's UI text: Simplified Chinese first, English available. */
const zh = {
  title: 'OBS 叠加层（浏览器源）',
  intro: '在 OBS 里添加“浏览器源”，粘贴下面的地址即可在直播画面上显示弹幕、礼物、数据或感谢榜。密钥只能读取直播间事件，不能控制任何功能；泄露后请立即撤销。',
  name: '名称',
  create: '新建密钥',
  none: '还没有叠加层密钥。',
  revoke: '撤销',
  revokeConfirm: '撤销后，使用这个密钥的 OBS 画面会立即停止显示。确定撤销？',
  copy: '复制',
  copied: '已复制',
  edit: '编辑样式',
  kind_chat: '弹幕',
  kind_gifts: '礼物感谢滚动条',
  kind_stats: '数据（在线/点赞/钻石）',
  kind_thanks: '感谢榜',
  style: '样式',
  fontSize: '字号（px）',
  textColor: '文字颜色',
  nameColor: '昵称颜色',
  accentColor: '礼物/感谢颜色',
  rowColor: '行背景色',
  rowOpacity: '行背景不透明度',
  rows: '最多显示行数',
  fade: '消失时间（秒，0 为不消失）',
  events: '弹幕叠加层显示',
  ev_chat: '评论',
  ev_gift: '礼物',
  ev_follow: '关注',
  ev_fansclub: '粉丝团',
  ev_member: '进场',
  ev_like: '点赞',
  thanksWindow: '感谢合并时间（秒）',
  preview: '实时预览',
  save: '保存样式',
  saved: '已保存，OBS 画面已同步更新',
  error: '出错了：{detail}',
};

const en: Record<keyof typeof zh, string> = {
  title: 'OBS overlay (browser source)',
  intro: 'Add a "Browser" source in OBS and paste an address below to show comments, gifts, figures or the thank-you board on stream. A key can only read the room\'s events and controls nothing; revoke it at once if it leaks.',
  name: 'Name',
  create: 'New key',
  none: 'No overlay key yet.',
  revoke: 'Revoke',
  revokeConfirm: 'OBS scenes using this key stop showing at once. Revoke it?',
  copy: 'Copy',
  copied: 'Copied',
  edit: 'Edit style',
  kind_chat: 'Chat',
  kind_gifts: 'Gift thank-you ticker',
  kind_stats: 'Figures (viewers/likes/diamonds)',
  kind_thanks: 'Thank-you board',
  style: 'Style',
  fontSize: 'Font size (px)',
  textColor: 'Text colour',
  nameColor: 'Name colour',
  accentColor: 'Gift/thanks colour',
  rowColor: 'Row background',
  rowOpacity: 'Row background opacity',
  rows: 'Rows shown at most',
  fade: 'Fade after (s, 0 = never)',
  events: 'The chat overlay shows',
  ev_chat: 'Comments',
  ev_gift: 'Gifts',
  ev_follow: 'Follows',
  ev_fansclub: 'Fan club',
  ev_member: 'Joins',
  ev_like: 'Likes',
  thanksWindow: 'Merge thanks within (s)',
  preview: 'Live preview',
  save: 'Save style',
  saved: 'Saved; OBS scenes updated',
  error: 'Error: {detail}',
};

export type OverlayTextKey = keyof typeof zh;

export function useOverlayText(): (key: OverlayTextKey, params?: Record<string, string | number>) => string {
  const lang = useAppStore((s) => s.lang);
  const table = lang === 'en' ? en : zh;
  return (key, params) => {
    let text: string = table[key];
    for (const [k, v] of Object.entries(params ?? {})) text = text.replace(`{${k}}`, String(v));
    return text;
  };
}
