import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ApiClient } from '@/lib/api-client';
import { ApiProvider } from '@/lib/api-context';
import { fakeFetch, type Route } from '@/testing/fake-api';
import { DEFAULT_STYLE, type OverlayStyle } from '../lib/style';
import type { OverlayKeyInfo } from '../api/overlay';
import { OverlayKeysPanel } from './OverlayKeysPanel';

/** A stand-in for the overlay key routes that keeps keys and styles as the gateway does. */
function keySite() {
  const keys: OverlayKeyInfo[] = [];
  const saved: OverlayStyle[] = [];
  let n = 0;
  const info = (key: string, name: string, style: OverlayStyle): OverlayKeyInfo => {
    const urls = Object.fromEntries(
      ['chat', 'gifts', 'stats', 'thanks'].map((k) => [k, `http://127.0.0.1:9019/overlay/${k}?key=${key}`]),
    ) as OverlayKeyInfo['urls'];
    return { key, name, style, urls, url: urls.chat, created_ms: 1 };
  };
  const route: Route = (url, init) => {
    if (url.pathname === '/api/overlay/keys' && init.method === 'POST') {
      n += 1;
      const body = JSON.parse(String(init.body)) as { name: string };
      const k = info(`key-${n}-aaaaaaaaaaaaaaaaaaaa`, body.name, DEFAULT_STYLE);
      keys.push(k);
      return { status: 201, body: k };
    }
    if (url.pathname === '/api/overlay/keys') return { body: { keys } };
    const m = /^\/api\/overlay\/keys\/([^/]+)(\/style)?$/.exec(url.pathname);
    if (!m) return undefined;
    const i = keys.findIndex((k) => k.key === m[1]);
    if (i < 0) return { status: 404, body: { detail: 'no such overlay key' } };
    if (init.method === 'DELETE') {
      keys.splice(i, 1);
      return { body: { key: m[1], revoked: true, closed_streams: 0 } };
    }
    const style = JSON.parse(String(init.body)) as OverlayStyle;
    saved.push(style);
    keys[i] = { ...keys[i]!, style };
    return { body: keys[i] };
  };
  return { route, keys, saved };
}

function withApi(route: Route) {
  const api = new ApiClient({ getConfig: () => ({ baseUrl: 'http://gateway.test', token: 'tok' }), fetchImpl: fakeFetch(route), retries: 0 });
  render(
    <ApiProvider client={api}>
      <OverlayKeysPanel />
    </ApiProvider>,
  );
}

describe('OverlayKeysPanel', () => {
  it('creates a key, shows its OBS addresses, saves a style with a live preview, and revokes it', async () => {
    const site = keySite();
    withApi(site.route);
    expect(await screen.findByText('还没有叠加层密钥。')).toBeTruthy();
    fireEvent.change(screen.getByTestId('overlay-key-name'), { target: { value: '左下角' } });
    fireEvent.click(screen.getByTestId('overlay-key-create'));
    const item = await screen.findByTestId('overlay-key');
    expect(within(item).getByText('左下角')).toBeTruthy();
    const addresses = within(item).getAllByRole('textbox').map((el) => (el as HTMLInputElement).value);
    expect(addresses).toEqual(['chat', 'gifts', 'stats', 'thanks'].map((k) => `http://127.0.0.1:9019/overlay/${k}?key=${site.keys[0]!.key}`));
    expect(addresses.join()).not.toContain('tok');

    // The editor opens on the new key; the preview draws sample rows with the edited style at once.
    const editor = screen.getByTestId('overlay-style-editor');
    const preview = within(editor).getByTestId('overlay-preview');
    await waitFor(() => expect(preview.querySelectorAll('.ov-row').length).toBeGreaterThan(0));
    fireEvent.change(screen.getByTestId('style-font-size'), { target: { value: '40' } });
    fireEvent.change(screen.getByTestId('style-rows'), { target: { value: '999' } });
    fireEvent.blur(screen.getByTestId('style-rows')); // out of range: kept within the limits once left
    await waitFor(() => expect((preview.firstElementChild as HTMLElement).style.getPropertyValue('--ov-font-size')).toBe('40px'));
    fireEvent.click(within(editor).getByLabelText('进场'));
    fireEvent.click(screen.getByTestId('overlay-style-save'));
    await screen.findByText('已保存，OBS 画面已同步更新');
    expect(site.saved).toEqual([{ ...DEFAULT_STYLE, font_size: 40, rows: 50, events: ['chat', 'gift', 'follow', 'fansclub', 'member'] }]);

    vi.spyOn(window, 'confirm').mockReturnValue(true);
    fireEvent.click(screen.getByTestId('overlay-key-revoke'));
    expect(await screen.findByText('还没有叠加层密钥。')).toBeTruthy();
    expect(site.keys).toHaveLength(0);
  });
});
