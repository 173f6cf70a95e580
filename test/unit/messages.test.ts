import { describe, expect, it } from 'vitest';
import { codeSpans, describeError } from '../../src/app/messages.js';

describe('describeError', () => {
  it('says an MP4 is MP4 once, with the command as code', () => {
    const shown = describeError({
      code: 'NOT_H264',
      message:
        'This is an MP4/ISO BMFF file, not a raw H.264 stream: it needs a raw H.264 Annex-B stream (.h264/.264), e.g. `ffmpeg -i in -c:v copy -bsf:v h264_mp4toannexb -f h264 out.h264`.',
      detail: { container: 'mp4' },
    });
    expect(shown.title).toBe('Not an H.264 stream');
    expect(shown.message.match(/not a raw H\.264/g)).toHaveLength(1);
    expect(shown.message.match(/MP4/g)).toHaveLength(1);
    expect(codeSpans(shown.message).filter((p) => p.code)).toEqual([
      { text: 'ffmpeg -i in -c:v copy -bsf:v h264_mp4toannexb -f h264 out.h264', code: true },
    ]);
  });

  it('says "no decodable frames" once: the title, then why', () => {
    const shown = describeError({
      code: 'NO_DECODABLE_FRAMES',
      message:
        'No decodable frames: the stream has no IDR picture or recovery point to start decoding from.',
      detail: {},
    });
    expect(shown.title).toBe('No decodable frames');
    expect(shown.message).toBe(
      'The stream has no IDR picture or recovery point to start decoding from.',
    );
  });

  it('names the host and the path of a 404, and where the relay streams', () => {
    const shown = describeError({
      code: 'HTTP_STATUS',
      message: 'http://127.0.0.1:8080/missing.h264 answered 404 Not Found.',
      detail: { status: 404, statusText: 'Not Found', url: 'http://127.0.0.1:8080/missing.h264' },
    });
    expect(shown.title).toBe('Not found');
    expect(shown.message).toContain('127.0.0.1:8080 is running but has no stream at /missing.h264');
    expect(shown.message).toContain('(404 Not Found)');
    expect(shown.message).toContain('/stream.h264');
    expect(shown.message).not.toContain('Server error');
  });

  it('tells a WebSocket 404 from a server that is down', () => {
    const shown = describeError({
      code: 'WS_REFUSED',
      message: '127.0.0.1:8080 answers (HTTP 404) but did not accept a WebSocket at /nothing.',
      detail: { status: 404, url: 'ws://127.0.0.1:8080/nothing' },
    });
    expect(shown.title).toBe('Not found');
    expect(shown.message).toContain('no WebSocket stream at /nothing (HTTP 404)');
    expect(shown.message).not.toContain('is the server running');
  });

  it('a server error is one, and a login wall is not', () => {
    const url = 'http://cam.local/stream.h264';
    expect(
      describeError({ code: 'HTTP_STATUS', message: '', detail: { status: 503, url } }).title,
    ).toBe('Server error');
    expect(
      describeError({ code: 'HTTP_STATUS', message: '', detail: { status: 401, url } }).title,
    ).toBe('Access denied');
  });
});

describe('codeSpans', () => {
  it('keeps text without code, and an unmatched backquote, as text', () => {
    expect(codeSpans('plain')).toEqual([{ text: 'plain', code: false }]);
    expect(codeSpans('a ` b')).toEqual([{ text: 'a ` b', code: false }]);
    expect(codeSpans('run `x` now')).toEqual([
      { text: 'run ', code: false },
      { text: 'x', code: true },
      { text: ' now', code: false },
    ]);
  });
});
