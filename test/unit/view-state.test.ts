import { describe, expect, it } from 'vitest';
import { shownFor, viewState } from '../../src/app/view-state.js';
import type { ViewFacts } from '../../src/app/view-state.js';

const NOT_H264 = { code: 'NOT_H264', message: 'This is an MP4/ISO BMFF file…', detail: {} };
const UNREACHABLE = { code: 'UNREACHABLE', message: 'Could not reach…', detail: {} };

function facts(patch: Partial<ViewFacts>): ViewFacts {
  return {
    session: 'playing',
    errors: [],
    notice: '',
    source: 'live',
    identified: true,
    pictures: true,
    ...patch,
  };
}

describe('view state', () => {
  it('a fatal error after a reconnect notice shows the error alone', () => {
    // An MP4 URL read as a live stream: the server closed it (reconnect notice) before the worker
    // refused the bytes.
    const view = viewState(
      facts({
        session: 'error',
        errors: [NOT_H264],
        notice:
          'Connection lost (the server closed the stream); reconnecting in 0.3 s (attempt 1).',
        identified: false,
        pictures: false,
      }),
    );
    expect(view.kind).toBe('failed');
    expect(shownFor(view)).toEqual({
      error: NOT_H264,
      notice: '',
      video: false,
      mediaControls: false,
      stats: false,
      toolbar: false,
      save: false,
      record: false,
      snapshot: false,
    });
  });

  it('a dropped MP4 offers no Save', () => {
    const shown = shownFor(
      viewState(
        facts({
          session: 'error',
          errors: [NOT_H264],
          source: 'local-file',
          identified: false,
          pictures: false,
        }),
      ),
    );
    expect(shown.save).toBe(false);
    expect(shown.error).toBe(NOT_H264);
  });

  it('a picked file the browser cannot decode still offers Save, and says why', () => {
    // Firefox 153 has no decoder for High 10 or 4:2:2: the conversion does not need one.
    const unsupported = {
      code: 'CODEC_UNSUPPORTED',
      message: 'This browser cannot decode this stream: H.264 High 10…',
      detail: {},
    };
    const failed = (patch: Partial<ViewFacts>) =>
      shownFor(
        viewState(facts({ session: 'error', errors: [unsupported], pictures: false, ...patch })),
      );
    expect(failed({ source: 'local-file' })).toMatchObject({
      error: unsupported,
      save: true,
      notice:
        'Save as MP4 still converts it, for a player that decodes it (VLC, mpv, another browser).',
    });
    // A live stream has stopped (nothing left to record), a file URL has no File to convert.
    expect(failed({ source: 'live' })).toMatchObject({ save: false, notice: '' });
    expect(failed({ source: 'remote-file' })).toMatchObject({ save: false, notice: '' });
    // Any other failure of a picked file offers no Save.
    expect(failed({ source: 'local-file', errors: [NOT_H264] })).toMatchObject({ save: false });
  });

  it('a stream that failed after playing keeps its picture, without controls or record', () => {
    const shown = shownFor(viewState(facts({ session: 'error', errors: [NOT_H264] })));
    expect(shown).toMatchObject({
      video: true,
      mediaControls: false,
      stats: true,
      toolbar: true,
      snapshot: true,
      record: false,
      notice: '',
    });
  });

  it('a live URL that is not up yet: its error and the retry notice, nothing else', () => {
    const view = viewState(
      facts({
        session: 'reconnecting',
        errors: [UNREACHABLE],
        notice: 'Trying again in 0.5 s (attempt 2)…',
        identified: false,
        pictures: false,
      }),
    );
    expect(view.kind).toBe('retrying');
    expect(shownFor(view)).toMatchObject({
      error: UNREACHABLE,
      notice: 'Trying again in 0.5 s (attempt 2)…',
      video: false,
      mediaControls: false,
      stats: false,
      record: false,
    });
  });

  it('a live stream that was lost keeps playing what it has while it reconnects', () => {
    const view = viewState(facts({ session: 'reconnecting', notice: 'Connection lost…' }));
    expect(view).toMatchObject({ kind: 'active', phase: 'reconnecting' });
    expect(shownFor(view)).toMatchObject({
      error: undefined,
      notice: 'Connection lost…',
      video: true,
      mediaControls: true,
      record: true,
      save: false,
    });
  });

  it('save for a picked H.264 file, record for a live stream, neither for a file URL', () => {
    const local = shownFor(viewState(facts({ source: 'local-file' })));
    const remote = shownFor(viewState(facts({ source: 'remote-file' })));
    const live = shownFor(viewState(facts({ source: 'live' })));
    expect([local.save, local.record]).toEqual([true, false]);
    expect([remote.save, remote.record]).toEqual([false, false]);
    expect([live.save, live.record]).toEqual([false, true]);
  });

  it('before the stream is identified: the video (loading), no stats, no save/record', () => {
    const shown = shownFor(
      viewState(facts({ session: 'connecting', identified: false, pictures: false })),
    );
    expect(shown).toMatchObject({
      video: true,
      mediaControls: true,
      stats: false,
      toolbar: false,
      save: false,
      record: false,
      snapshot: false,
    });
  });

  it('an error before any session (a bad ?src=) is fatal', () => {
    const bad = { code: 'BAD_URL', message: 'Cannot read ftp: URLs', detail: {} };
    expect(viewState(facts({ session: undefined, errors: [bad] }))).toMatchObject({
      kind: 'failed',
      error: bad,
    });
    expect(viewState(facts({ session: undefined })).kind).toBe('idle');
  });
});
