import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderApp } from '@/testing/render-app';
import { chat, gift } from '@/testing/fake-api';
import { resetReadAloud, useReadAloud } from '../store';
import { resetAlerts, useAlerts } from '@/features/alerts/store';

/**
 * Read-aloud and alerts in the whole app: the platform's `speechSynthesis` is a stand-in installed on `window`
 * (as the browser test injects one into Chromium), so the real adapter, runner, panel and settings run.
 */
class StandInUtterance {
  lang = '';
  volume = 1;
  rate = 1;
  voice: unknown = null;
  onend: (() => void) | null = null;
  onerror: ((e: { error: string }) => void) | null = null;
  constructor(public text: string) {}
}

function installSpeech() {
  const said: StandInUtterance[] = [];
  let current: StandInUtterance | null = null;
  const synth = {
    speak(u: StandInUtterance) {
      said.push(u);
      current = u;
    },
    cancel() {
      const u = current;
      current = null;
      u?.onerror?.({ error: 'interrupted' });
    },
    getVoices: () => [{ voiceURI: 'zh', name: '中文（普通话）', lang: 'zh-CN', localService: true }],
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  };
  Object.assign(window, { speechSynthesis: synth, SpeechSynthesisUtterance: StandInUtterance });
  return {
    said,
    end: () => {
      const u = current;
      current = null;
      act(() => u?.onend?.());
    },
  };
}

const route = (url: URL) => (url.pathname === '/api/douyin/status' ? { body: { sessions: [] } } : undefined);

beforeEach(() => {
  resetReadAloud();
  resetAlerts();
});
afterEach(() => {
  delete (window as { speechSynthesis?: unknown }).speechSynthesis;
  delete (window as { SpeechSynthesisUtterance?: unknown }).SpeechSynthesisUtterance;
});

describe('read-aloud and alerts in the app', () => {
  it('reads the room aloud once switched on, 跳过 moves on, settings are kept; alerts list and highlight', async () => {
    const speech = installSpeech();
    const { push, socket } = renderApp('/', route);
    await waitFor(() => expect(socket()).toBeDefined());
    act(() => socket()!.open());
    const panel = await screen.findByTestId('readaloud');
    push([chat('还没开', '路人甲')]);
    expect(speech.said).toHaveLength(0); // off by default

    fireEvent.click(screen.getByTestId('readaloud-toggle'));
    expect(JSON.parse(localStorage.getItem('timao.readaloud') ?? '{}').state.settings.enabled).toBe(true);
    push([chat('主播好', '小鱼干'), chat('https://spam.example.com', '广告'), chat('[赞][赞]', '猫猫头'), chat('多少钱？', 'Tom')]);
    expect(speech.said.map((u) => u.text)).toEqual(['小鱼干说：主播好']);
    expect(speech.said[0]!.lang).toBe('zh-CN');
    await waitFor(() => expect(within(panel).getByTestId('readaloud-speaking').textContent).toContain('小鱼干说：主播好'));
    expect(within(panel).getByTestId('readaloud-queue').textContent).toContain('Tom说：多少钱?');

    fireEvent.click(within(panel).getByTestId('readaloud-skip'));
    expect(speech.said.map((u) => u.text)).toEqual(['小鱼干说：主播好', 'Tom说：多少钱?']);
    await waitFor(() => expect(within(panel).getByTestId('readaloud-speaking').textContent).toContain('Tom说：多少钱?'));
    speech.end();
    await waitFor(() => expect(within(panel).getByTestId('readaloud-counts').textContent).toContain('已播报 1'));
    expect(within(panel).getByTestId('readaloud-counts').textContent).toContain('手动跳过 1');

    // the volume applies to the next line
    fireEvent.change(within(panel).getByTestId('readaloud-volume'), { target: { value: '0.25' } });
    push([gift({ user: '夜猫子', name: '跑车', diamonds: 1200, repeat: 1, end: true, group: 'car' })]);
    expect(speech.said.at(-1)!.text).toBe('感谢夜猫子送出的跑车');
    expect(speech.said.at(-1)!.volume).toBe(0.25);

    // alerts: "多少钱" is a default keyword, the car a big gift; listed and highlighted in the live feed
    const alerts = await screen.findAllByTestId('alert-item');
    expect(alerts.map((a) => a.getAttribute('data-kind'))).toEqual(['gift', 'keyword']);
    const list = screen.getByTestId('virtual-list');
    expect(list.querySelectorAll('[data-alert="keyword"]')).toHaveLength(1);
    expect(list.querySelectorAll('[data-alert="gift"]')).toHaveLength(1);
    expect(list.querySelectorAll('[data-alert]')).toHaveLength(2);

    // switching alerts off removes the highlight
    fireEvent.click(screen.getByTestId('alerts-toggle'));
    expect(useAlerts.getState().settings.enabled).toBe(false);
    expect(list.querySelectorAll('[data-alert]')).toHaveLength(0);

    fireEvent.click(screen.getByTestId('readaloud-toggle'));
    expect(useReadAloud.getState().settings.enabled).toBe(false);
    push([chat('关了以后', '阿强')]);
    expect(speech.said.at(-1)!.text).toBe('感谢夜猫子送出的跑车');
  });

  it('tells the user to click the page when the browser refuses speech before a click', async () => {
    installSpeech();
    (window.speechSynthesis as unknown as { speak: (u: StandInUtterance) => void }).speak = (u) => u.onerror?.({ error: 'not-allowed' });
    useReadAloud.getState().update({ enabled: true }); // switched on in an earlier visit
    const { push, socket } = renderApp('/', route);
    await waitFor(() => expect(socket()).toBeDefined());
    act(() => socket()!.open());
    await screen.findByTestId('readaloud');
    push([chat('主播好', '小鱼干')]);
    expect((await screen.findByTestId('readaloud-error')).textContent).toContain('请点一下页面任意位置');
    expect(useReadAloud.getState().snapshot?.counts.failed).toBe(1);
  });

  it('says so where the platform has no speech, and the settings page refuses bad numbers', async () => {
    renderApp('/settings', route);
    expect((await screen.findAllByText(/不支持语音播报/)).length).toBeGreaterThan(0);
    fireEvent.change(screen.getByTestId('readaloud-maxPerMinute'), { target: { value: 'abc' } });
    fireEvent.change(screen.getByTestId('readaloud-keywords'), { target: { value: '链接，优惠 价格' } });
    fireEvent.click(screen.getByTestId('readaloud-save'));
    expect(screen.getByText('请输入 1–120 之间的整数')).toBeTruthy();
    expect(useReadAloud.getState().settings.keywords).toEqual([]); // nothing saved
    fireEvent.change(screen.getByTestId('readaloud-maxPerMinute'), { target: { value: '30' } });
    fireEvent.change(screen.getByTestId('readaloud-comments'), { target: { value: 'keywordsOrQuestions' } });
    fireEvent.click(screen.getByTestId('readaloud-save'));
    expect(useReadAloud.getState().settings).toMatchObject({ maxPerMinute: 30, keywords: ['链接', '优惠', '价格'], comments: 'keywordsOrQuestions' });

    fireEvent.change(screen.getByTestId('alerts-big-gift'), { target: { value: '-5' } });
    fireEvent.click(screen.getByTestId('alerts-save'));
    expect(screen.getByText('请输入 0–10000000 之间的整数')).toBeTruthy();
    fireEvent.change(screen.getByTestId('alerts-big-gift'), { target: { value: '520' } });
    fireEvent.change(screen.getByTestId('alerts-keywords'), { target: { value: '福袋' } });
    fireEvent.click(screen.getByTestId('alerts-save'));
    expect(useAlerts.getState().settings).toMatchObject({ bigGiftDiamonds: 520, keywords: ['福袋'] });
    expect(JSON.parse(localStorage.getItem('timao.alerts') ?? '{}').state.settings.bigGiftDiamonds).toBe(520);
  });
});
