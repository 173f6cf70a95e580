import { describe, expect, it } from 'vitest';
import { normaliseStreamUrl } from '../../src/app/stream-url.js';

const PAGE = 'http://127.0.0.1:4173/some/app/?src=x';

function play(text: string): [string, string | undefined] {
  const url = normaliseStreamUrl(text, PAGE);
  return [url.href, url.assumed];
}

describe('normaliseStreamUrl', () => {
  it('keeps URLs that have a scheme', () => {
    expect(play('http://raspberrypi.local:8080/stream.h264')).toEqual([
      'http://raspberrypi.local:8080/stream.h264',
      undefined,
    ]);
    expect(play(' wss://cam.example.com/stream ')).toEqual([
      'wss://cam.example.com/stream',
      undefined,
    ]);
    // Another scheme stays what it is; the page refuses it with BAD_URL.
    expect(play('ftp://example.invalid/x.h264')).toEqual([
      'ftp://example.invalid/x.h264',
      undefined,
    ]);
    expect(play('mailto:someone')[0]).toBe('mailto:someone');
  });

  it('assumes http:// for a host without a scheme (the placeholder typed without it)', () => {
    expect(play('raspberrypi.local:8080/stream.h264')).toEqual([
      'http://raspberrypi.local:8080/stream.h264',
      'http://',
    ]);
    expect(play('192.168.1.42:8080/stream.h264')).toEqual([
      'http://192.168.1.42:8080/stream.h264',
      'http://',
    ]);
    expect(play('localhost/stream.h264')).toEqual(['http://localhost/stream.h264', 'http://']);
    expect(play('camera:8554')).toEqual(['http://camera:8554/', 'http://']);
    expect(play('cam.example.com/live.264?x=1')).toEqual([
      'http://cam.example.com/live.264?x=1',
      'http://',
    ]);
    expect(play('[::1]:8080/stream.h264')).toEqual(['http://[::1]:8080/stream.h264', 'http://']);
  });

  it("assumes ws:// for the relay's WebSocket path /stream", () => {
    expect(play('raspberrypi.local:8080/stream')).toEqual([
      'ws://raspberrypi.local:8080/stream',
      'ws://',
    ]);
    expect(play('192.168.1.42:8080/stream?framing=none')).toEqual([
      'ws://192.168.1.42:8080/stream?framing=none',
      'ws://',
    ]);
    // Only that exact path: the relay's HTTP stream and other paths stay http://.
    expect(play('192.168.1.42:8080/stream.h264')[1]).toBe('http://');
    expect(play('192.168.1.42:8080/streams/1')[1]).toBe('http://');
  });

  it("reads the path /stream alone as the page's own relay's WebSocket (ws://, wss:// from https)", () => {
    // Over http it was a 404: the relay's HTTP stream is /stream.h264.
    expect(play('/stream')).toEqual(['ws://127.0.0.1:4173/stream', 'ws://']);
    expect(play('/stream?framing=none')).toEqual([
      'ws://127.0.0.1:4173/stream?framing=none',
      'ws://',
    ]);
    const secure = normaliseStreamUrl('/stream', 'https://pi.local:8443/');
    expect([secure.href, secure.assumed]).toEqual(['wss://pi.local:8443/stream', 'wss://']);
    expect(play('/streams/1')).toEqual(['http://127.0.0.1:4173/streams/1', undefined]);
  });

  it('reads paths and file names as relative to the page', () => {
    expect(play('/stream.h264')).toEqual(['http://127.0.0.1:4173/stream.h264', undefined]);
    expect(play('./clip.264')).toEqual(['http://127.0.0.1:4173/some/app/clip.264', undefined]);
    expect(play('stream.h264')).toEqual(['http://127.0.0.1:4173/some/app/stream.h264', undefined]);
    expect(play('clip.avc')).toEqual(['http://127.0.0.1:4173/some/app/clip.avc', undefined]);
    expect(play('videos/a.264')).toEqual([
      'http://127.0.0.1:4173/some/app/videos/a.264',
      undefined,
    ]);
  });

  it('refuses text that is no URL at all', () => {
    expect(() => normaliseStreamUrl('http://[bad', PAGE)).toThrow(/Not a valid URL/);
    try {
      normaliseStreamUrl('ws://exa mple:x', PAGE);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('BAD_URL');
    }
  });
});
