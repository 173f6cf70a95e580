// The page's pure parts: links without empty parameters, and what is remembered between visits.
import { describe, expect, it } from 'vitest';
import { linkQuery, readingOptions, readParams } from '../../src/app/params.js';
import { MAX_RECENT, parseRecent, parseSettings, withRecent } from '../../src/app/settings.js';

describe('linkQuery', () => {
  it('leaves out empty values (no "&fps=&latency=")', () => {
    expect(linkQuery({ src: 'ws://h/stream', fps: '', latency: ' ' })).toBe(
      '?src=ws%3A%2F%2Fh%2Fstream',
    );
    expect(linkQuery({ src: 'http://h/a.h264', fps: '30000/1001', latency: '0.5' })).toBe(
      '?src=http%3A%2F%2Fh%2Fa.h264&fps=30000%2F1001&latency=0.5',
    );
    expect(linkQuery({})).toBe('');
  });
});

describe('readParams', () => {
  it('reads latency=auto as adaptive (0), a number as a fixed delay, and the renderer choice', () => {
    expect(readParams('?latency=auto&renderer=webcodecs')).toMatchObject({
      latency: 0,
      renderer: 'webcodecs',
    });
    expect(readParams('?latency=0.25&renderer=MSE')).toMatchObject({
      latency: 0.25,
      renderer: 'mse',
    });
    expect(readParams('?latency=-1&renderer=gpu')).toMatchObject({
      latency: 0,
      renderer: undefined,
    });
    expect(readingOptions('?src=x&renderer=auto&fps=30')).toEqual({ renderer: 'auto' });
  });
});

describe('fps in a link', () => {
  it("takes a frame rate in the core's range, a number or a ratio; anything else is no fps", () => {
    expect(readParams('?fps=25').fps).toBe(25);
    expect(readParams('?fps=30000/1001').fps).toBe(30000 / 1001);
    // Out of range these were taken, and the transmuxer then stopped the stream ("Error").
    for (const bad of ['abc', '-5', '0', '1e9', '0.001', '1001', '1/0'])
      expect(readParams(`?fps=${bad}`).fps, bad).toBeUndefined();
    // Other options keep their own rules.
    expect(readParams('?rate=0.25&stall=0.2')).toMatchObject({ rate: 0.25, stallSeconds: 0.2 });
  });
});

describe('remembered settings', () => {
  it('keeps the newest stream first, once, at most MAX_RECENT', () => {
    let list = parseRecent(null);
    for (let i = 0; i < MAX_RECENT + 2; i++)
      list = withRecent(list, { src: `ws://cam${i}/stream` });
    list = withRecent(list, { src: 'ws://cam3/stream', fps: '25' });
    expect(list).toHaveLength(MAX_RECENT);
    expect(list[0]).toEqual({ src: 'ws://cam3/stream', fps: '25' });
    expect(list.filter((e) => e.src === 'ws://cam3/stream')).toHaveLength(1);
    expect(parseRecent(JSON.stringify(list))).toEqual(list);
  });

  it('reads anything unexpected as not set', () => {
    expect(parseRecent('not json')).toEqual([]);
    expect(parseRecent('[{"src":1},{"fps":"2"},null,{"src":"ws://a/stream","latency":7}]')).toEqual(
      [{ src: 'ws://a/stream' }],
    );
    expect(parseSettings('{"latency":"0.5","layout":"weird","target":"disk"}')).toEqual({
      latency: '0.5',
      layout: undefined,
      target: 'disk',
    });
    expect(parseSettings('[]')).toEqual({ latency: '', layout: undefined, target: undefined });
  });
});
