import { describe, expect, it } from 'vitest';
import { parseLiveId } from '@/lib/format';

describe('parseLiveId', () => {
  it('takes the id of a bare id or a live.douyin.com URL', () => {
    expect(parseLiveId(' 148108118778 ')).toBe('148108118778');
    expect(parseLiveId('https://live.douyin.com/148108118778?enter_from=share')).toBe('148108118778');
    expect(parseLiveId('live.douyin.com/148108118778/')).toBe('148108118778');
  });

  it('sends share text and other Douyin links whole, for the server to follow', () => {
    const share = '7- 长按复制此条消息，打开抖音搜索，查看TA的更多作品。 https://v.douyin.com/iAbCdEf/ 1@2.com :9pm';
    expect(parseLiveId(share)).toBe(share.trim());
    expect(parseLiveId('https://v.douyin.com/iAbCdEf/')).toBe('https://v.douyin.com/iAbCdEf/');
    expect(parseLiveId('https://www.douyin.com/user/MS4wLjABAAAAx')).toBe('https://www.douyin.com/user/MS4wLjABAAAAx');
    expect(parseLiveId('https://www.douyin.com/root/live/795838110856')).toBe('https://www.douyin.com/root/live/795838110856');
  });

  it('refuses text that names no Douyin room', () => {
    expect(parseLiveId('')).toBeNull();
    expect(parseLiveId('复制这段话打开抖音')).toBeNull();
    expect(parseLiveId('https://live.bilibili.com/6')).toBeNull();
    expect(parseLiveId(`https://v.douyin.com/${'x'.repeat(2000)}`)).toBeNull();
  });
});
