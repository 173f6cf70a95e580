// serve --hls: the packager and segmenter on real fixtures (every playlist along the way checked by the
// RFC 8216bis validator, every part's INDEPENDENT flag checked against its first sample, every segment
// decoded by ffmpeg to the raw stream's frames), and the HTTP side's blocking rules.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessUnitReader, concatBytes } from '../../src/core/index.js';
import { advancePartLimit, HlsHttp } from '../../src/cli/serve/hls/http.js';
import { parseServeArgs } from '../../src/cli/serve/options.js';
import { HlsPackager } from '../../src/cli/serve/hls/packager.js';
import { mediaPlaylist } from '../../src/cli/serve/hls/playlist.js';
import type { SegmenterOptions } from '../../src/cli/serve/hls/segmenter.js';
import { framemd5, withTempDir, writeParts, type FrameHash } from '../helpers/ffmpeg.js';
import { fixture, fixturePath, readFixture } from '../helpers/fixtures.js';
import { validatePlaylist, type ParsedPlaylist } from '../helpers/hls-validator.js';
import { parseFragment, parseInit, topLevelBoxes } from '../helpers/mp4.js';

const partNumber = (uri: string): number | undefined => {
  const m = /\/p(\d+)\.m4s$/.exec(uri);
  return m ? Number(m[1]) : undefined;
};

interface Run {
  readonly packager: HlsPackager;
  /** Every distinct playlist text, in order. */
  readonly playlists: string[];
  readonly errors: string[];
  readonly last: ParsedPlaylist;
}

interface FeedState {
  readonly playlists: string[];
  readonly errors: string[];
  previous: ParsedPlaylist | undefined;
  /** Media seconds fed so far (the live edge). */
  edge: number;
  /** When each part's EXT-X-PART tag left the playlist (edge seconds). */
  readonly partRemoved: Map<string, number>;
  /** When each segment first appeared (edge seconds), and its duration. */
  readonly segmentListed: Map<string, { at: number; duration: number }>;
  longestPlaylist: number;
}

const feedState = (): FeedState => ({
  playlists: [],
  errors: [],
  previous: undefined,
  edge: 0,
  partRemoved: new Map(),
  segmentListed: new Map(),
  longestPlaylist: 0,
});

/**
 * Feeds `input` access unit by access unit (as the file source does, `fps` frames of wall clock per second),
 * validating every new playlist, and checking what only the server's state shows: a part stays
 * downloadable for three target durations after its EXT-X-PART tag is removed (RFC 8216bis §6.2.2), and a
 * segment until it first appeared plus its duration plus the longest playlist's (§6.2.2 availability).
 */
function feed(
  packager: HlsPackager,
  input: Uint8Array,
  state: FeedState,
  clock: { t: number },
  fps: number,
  mediaFps = fps,
): void {
  const reader = new AccessUnitReader();
  const seg = packager.segmenter;
  const check = (): void => {
    const model = seg.playlist();
    if (!model) return;
    const text = mediaPlaylist(model);
    if (text !== state.playlists.at(-1)) {
      state.playlists.push(text);
      const v = validatePlaylist(text, {
        partNumber,
        ...(state.previous ? { previous: state.previous } : {}),
      });
      state.errors.push(...v.errors.map((e) => `playlist ${state.playlists.length}: ${e}`));
      const listedParts = new Set(v.playlist.segments.flatMap((s) => s.parts.map((p) => p.uri)));
      for (const p of state.previous?.segments.flatMap((s) => s.parts) ?? [])
        if (!listedParts.has(p.uri) && !state.partRemoved.has(p.uri))
          state.partRemoved.set(p.uri, state.edge);
      for (const s of v.playlist.segments)
        if (s.uri !== undefined && !state.segmentListed.has(s.uri))
          state.segmentListed.set(s.uri, { at: state.edge, duration: s.duration! });
      const total = v.playlist.segments.reduce((n, s) => n + (s.duration ?? 0), 0);
      state.longestPlaylist = Math.max(state.longestPlaylist, total);
      state.previous = v.playlist;
    }
    const td = model.targetDuration;
    for (const [uri, at] of state.partRemoved) {
      if (state.edge - at > 3 * td) continue;
      const n = partNumber(uri)!;
      if (seg.part(n).state !== 'ready')
        state.errors.push(
          `§6.2.2: ${uri} gone ${(state.edge - at).toFixed(2)} s after its tag was removed`,
        );
    }
    for (const [uri, { at, duration }] of state.segmentListed) {
      if (state.edge > at + duration + state.longestPlaylist) continue;
      const msn = Number(/\/s(\d+)\.m4s$/.exec(uri)![1]);
      if (!seg.segmentData(msn))
        state.errors.push(`§6.2.2: ${uri} gone before its availability duration`);
    }
  };
  for (const au of [...reader.push(input), ...reader.flush()]) {
    packager.push(au.data, true);
    clock.t += 1000 / fps;
    state.edge += 1 / mediaFps;
    check();
  }
}

function packagerFor(options: Partial<SegmenterOptions> & { fps?: number } = {}): {
  packager: HlsPackager;
  clock: { t: number };
  logs: string[];
} {
  const clock = { t: Date.UTC(2026, 0, 1) };
  const logs: string[] = [];
  const packager = new HlsPackager({
    epoch: 'test',
    now: () => clock.t,
    log: (m) => logs.push(m),
    ...options,
  });
  return { packager, clock, logs };
}

function runFixture(name: string, options: Partial<SegmenterOptions> & { fps?: number } = {}): Run {
  const f = fixture(name);
  const { packager, clock } = packagerFor({ listSegments: 1000, ...options });
  const state = feedState();
  feed(packager, readFixture(f.name), state, clock, f.fps ?? 30);
  packager.end();
  const text = mediaPlaylist(packager.segmenter.playlist()!);
  const v = validatePlaylist(text, {
    partNumber,
    ...(state.previous ? { previous: state.previous } : {}),
  });
  state.errors.push(...v.errors.map((e) => `final playlist: ${e}`));
  return { packager, playlists: state.playlists, errors: state.errors, last: v.playlist };
}

/** Bytes behind a playlist URI of the test epoch. */
function resource(run: Run, uri: string): Uint8Array {
  const m = /^test\/(init|s|p)(\d+)\.(mp4|m4s)$/.exec(uri);
  if (!m) throw new Error(`unexpected URI ${uri}`);
  const n = Number(m[2]);
  const seg = run.packager.segmenter;
  const data =
    m[1] === 'init'
      ? seg.initData(n)
      : m[1] === 's'
        ? seg.segmentData(n) && concatBytes(seg.segmentData(n)!)
        : (() => {
            const p = seg.part(n);
            return p.state === 'ready' ? p.data : undefined;
          })();
  if (!data) throw new Error(`no data for ${uri}`);
  return data;
}

/** Each part: INDEPENDENT=YES exactly when its first sample is a sync sample. */
function independenceErrors(run: Run): string[] {
  const errors: string[] = [];
  for (const s of run.last.segments) {
    const init = parseInit(resource(run, s.map!));
    for (const p of s.parts) {
      const bytes = resource(run, p.uri);
      const first = topLevelBoxes(bytes).slice(0, 2);
      const fragment = parseFragment(bytes.subarray(first[0]!.start, first[1]!.end), init);
      const sync = fragment.samples[0]!.flags.isNonSyncSample === 0;
      if (sync !== p.independent)
        errors.push(`${p.uri}: INDEPENDENT=${p.independent}, first sample sync=${sync}`);
    }
  }
  return errors;
}

/** ffmpeg decodes init + segments, one file per EXT-X-MAP, to the raw stream's frames. */
async function decodeRendition(run: Run): Promise<FrameHash[]> {
  return withTempDir(async (dir) => {
    const groups: { map: string; segments: string[] }[] = [];
    for (const s of run.last.segments) {
      if (groups.at(-1)?.map !== s.map) groups.push({ map: s.map!, segments: [] });
      groups.at(-1)!.segments.push(s.uri!);
    }
    const hashes: FrameHash[] = [];
    for (const [i, g] of groups.entries()) {
      const file = join(dir, `part${i}.mp4`);
      await writeParts(file, [resource(run, g.map), ...g.segments.map((u) => resource(run, u))]);
      hashes.push(...(await framemd5(file)));
    }
    return hashes;
  });
}

describe('HLS segmenter on fixtures', () => {
  it('p01 (baseline, keyframe every second): 2 s independent segments of 1/3 s parts, frames as ffmpeg decodes the raw stream', async () => {
    const run = runFixture('p01_pi_baseline_vga30_inline.h264');
    expect(run.errors).toEqual([]);
    expect(run.last.partTarget).toBe(0.33334);
    expect(run.last.targetDuration).toBe(3);
    expect(run.last.independentSegments).toBe(true);
    expect(run.last.ended).toBe(true);
    // 150 frames at 30 fps: two-second segments, the last one shorter.
    expect(run.last.segments.map((s) => s.duration)).toEqual([2, 2, 1]);
    expect(run.last.segments.map((s) => s.parts.length)).toEqual([6, 6, 3]);
    expect(independenceErrors(run)).toEqual([]);
    const raw = await framemd5(fixturePath('p01_pi_baseline_vga30_inline.h264'));
    expect(await decodeRendition(run)).toEqual(raw);
  });

  it('p03 (B-frame pyramid): timestamps and frames survive reordering', async () => {
    const run = runFixture('p03_main_bf3_pyramid_360p30.h264');
    expect(run.errors).toEqual([]);
    expect(independenceErrors(run)).toEqual([]);
    expect(await decodeRendition(run)).toEqual(
      await framemd5(fixturePath('p03_main_bf3_pyramid_360p30.h264')),
    );
  });

  it('p06 (25 fps): parts of 8 frames (0.32 s)', async () => {
    const run = runFixture('p06_aud_main_bf2_vga25.h264');
    expect(run.errors).toEqual([]);
    expect(run.last.partTarget).toBe(0.32);
    expect(await decodeRendition(run)).toEqual(
      await framemd5(fixturePath('p06_aud_main_bf2_vga25.h264')),
    );
  });

  it('p10 (SPS change mid-stream): a new EXT-X-MAP with EXT-X-DISCONTINUITY, each part decodes to the raw frames', async () => {
    const run = runFixture('p10_spschange_360p_to_720p.h264');
    expect(run.errors).toEqual([]);
    const maps = run.last.segments.map((s) => s.map);
    expect(new Set(maps).size).toBe(2);
    const switchAt = maps.findIndex((m) => m !== maps[0]);
    expect(run.last.segments[switchAt]!.discontinuity).toBe(true);
    expect(run.last.segments.filter((s) => s.discontinuity)).toHaveLength(1);
    expect(independenceErrors(run)).toEqual([]);
    expect(await decodeRendition(run)).toEqual(
      await framemd5(fixturePath('p10_spschange_360p_to_720p.h264')),
    );
  });

  it('p16 (one keyframe in 20 s): segments are cut at the target duration without one, and the playlist stops claiming independent segments', async () => {
    const run = runFixture('p16_longgop_keyint600.h264');
    expect(run.errors).toEqual([]);
    expect(run.last.independentSegments).toBe(false);
    for (const s of run.last.segments) expect(s.duration!).toBeLessThanOrEqual(3);
    // Parts are listed near the live edge only: look at the playlist that first lists segment 1 whole.
    const early = run.playlists
      .map((t) => validatePlaylist(t).playlist)
      .find((p) => p.segments[1]?.uri !== undefined)!;
    expect(early.segments[0]!.parts[0]!.independent).toBe(true);
    expect(early.segments[1]!.parts[0]!.independent).toBe(false);
    // The first playlists, before the first cut without a keyframe, did claim it.
    expect(run.playlists[0]).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(independenceErrors(run)).toEqual([]);
    expect(await decodeRendition(run)).toEqual(
      await framemd5(fixturePath('p16_longgop_keyint600.h264')),
    );
  });

  it('the window stays bounded in segments and bytes, and removed segments count their discontinuities', () => {
    const bounded = runFixture('p16_longgop_keyint600.h264', { listSegments: 3 });
    expect(bounded.errors).toEqual([]);
    // 21 s: cut at 3 s without keyframes, then at the keyframe of 20 s (3+3+2+1 s at the end). Listed: the
    // last 3 segments and more until they cover 3 target durations (4). Kept: what is up to six target
    // durations (18 s) behind the edge, for clients still fetching removed parts and segments (8).
    expect(bounded.last.segments.map((s) => s.duration)).toEqual([3, 3, 2, 1]);
    expect(bounded.packager.segmenter.stats()['segments']).toBe(8);
    const small = runFixture('p01_pi_baseline_vga30_inline.h264', {
      maxBytes: 200_000,
      listSegments: 1,
    });
    expect(small.packager.segmenter.stats()['bytes']).toBeLessThanOrEqual(200_000 + 250_000);
    expect(small.packager.segmenter.segmentData(0)).toBeUndefined();
    // Short segments so that the window slides past the SPS change: the discontinuity sequence counts it.
    const sliding = runFixture('p10_spschange_360p_to_720p.h264', {
      partSeconds: 0.2,
      segmentSeconds: 1,
      targetDuration: 1,
      listSegments: 1,
    });
    expect(sliding.errors).toEqual([]);
    expect(sliding.last.mediaSequence).toBeGreaterThan(0);
  });

  it('a sliding window keeps removed parts for three target durations and segments for their availability duration (§6.2.2)', () => {
    const { packager, clock } = packagerFor({
      partSeconds: 0.2,
      segmentSeconds: 1,
      targetDuration: 1,
      listSegments: 2,
    });
    const state = feedState();
    const input = readFixture('p01_pi_baseline_vga30_inline.h264');
    for (let i = 0; i < 4; i++) feed(packager, input, state, clock, 30);
    expect(state.errors).toEqual([]);
    expect(state.partRemoved.size).toBeGreaterThan(50);
    // 20 s of 1 s segments: 3 listed (three target durations), 6 kept (six target durations).
    expect(state.previous!.segments.filter((s) => s.uri !== undefined)).toHaveLength(3);
    expect(packager.segmenter.stats()['segments']).toBe(6);
    expect(packager.segmenter.segmentData(0)).toBeUndefined();
  });

  it('a reconnect after a source that ran ahead of the clock never moves the date-time back (§6.2.1)', () => {
    const { packager, clock } = packagerFor({ listSegments: 1000 });
    const state = feedState();
    const input = readFixture('p01_pi_baseline_vga30_inline.h264');
    // 5 s of media in 2.5 s of wall clock (a source catching up after a stall), then a reconnect.
    feed(packager, input, state, clock, 60, 30);
    packager.sourceReset();
    feed(packager, input, state, clock, 30);
    expect(state.errors).toEqual([]);
  });

  it('a source reconnect ends the segment and re-anchors the date-time; the timeline and the map go on without a discontinuity', () => {
    const { packager, clock } = packagerFor({ listSegments: 1000 });
    const state = feedState();
    const input = readFixture('p01_pi_baseline_vga30_inline.h264');
    feed(packager, input.subarray(0, 200_000), state, clock, 30);
    const before = packager.segmenter.lastPart()!;
    packager.sourceReset();
    clock.t += 5000; // five seconds without a camera
    feed(packager, input, state, clock, 30);
    packager.end();
    expect(state.errors).toEqual([]);
    const last = validatePlaylist(mediaPlaylist(packager.segmenter.playlist()!), { partNumber });
    expect(last.errors).toEqual([]);
    const after = last.playlist.segments.find((s) => s.msn === before.msn + 1)!;
    const cut = last.playlist.segments.find((s) => s.msn === before.msn)!;
    expect(cut.uri).toBeDefined();
    expect(after.discontinuity).toBe(false);
    expect(after.map).toBe(cut.map);
    expect(after.parts[0]!.independent).toBe(true);
    // The date-time jumps by the outage, beyond what the media timeline says.
    expect(after.programDateTime! - (cut.programDateTime! + cut.duration! * 1000)).toBeGreaterThan(
      4000,
    );
  });
});

describe('serve --hls', () => {
  it('is off unless asked for', () => {
    expect(parseServeArgs(['--stdin'])).toMatchObject({ hls: false });
    expect(parseServeArgs(['--stdin', '--hls'])).toMatchObject({ hls: true });
  });
});

describe('the playlist validator', () => {
  const good = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5',
    '#EXT-X-PART-INF:PART-TARGET=0.5',
    '#EXT-X-MAP:URI="e/init0.mp4"',
    '#EXT-X-PART:DURATION=0.5,URI="e/p0.m4s",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.5,URI="e/p1.m4s"',
    '#EXTINF:1,',
    'e/s0.m4s',
    '#EXT-X-PART:DURATION=0.5,URI="e/p2.m4s",INDEPENDENT=YES',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="e/p3.m4s"',
    '',
  ].join('\n');
  const errorsOf = (text: string): string[] => validatePlaylist(text, { partNumber }).errors;

  it('accepts a valid LL-HLS playlist and names each broken rule', () => {
    expect(errorsOf(good)).toEqual([]);
    const broken: [string, string, RegExp][] = [
      ['DURATION=0.5,URI="e/p1.m4s"', 'DURATION=0.6,URI="e/p1.m4s"', /more than PART-TARGET/],
      ['DURATION=0.5,URI="e/p0.m4s",INDEPENDENT=YES', 'DURATION=0.3,URI="e/p0.m4s"', /85%/],
      ['#EXTINF:1,', '#EXTINF:2.6,', /more than the target duration/],
      ['PART-HOLD-BACK=1.5', 'PART-HOLD-BACK=1.2', /three PART-TARGETs/],
      ['PART-HOLD-BACK=1.5', 'PART-HOLD-BACK=0.9', /at least twice/],
      ['URI="e/p3.m4s"', 'URI="e/p4.m4s"', /not the part after/],
      ['#EXT-X-MAP:URI="e/init0.mp4"\n', '', /EXT-X-MAP before its first segment/],
      ['#EXT-X-VERSION:6', '#EXT-X-VERSION:5', /version 6/],
      ['CAN-BLOCK-RELOAD=YES,', '', /CAN-BLOCK-RELOAD=YES/],
      ['#EXT-X-PART-INF:PART-TARGET=0.5\n', '', /EXT-X-PART-INF is required/],
      ['#EXT-X-TARGETDURATION:2\n', '', /EXT-X-TARGETDURATION is required/],
      ['e/s0.m4s\n', 'e/s0.m4s\n#EXT-X-MAP:URI="e/init1.mp4"\n', /without EXT-X-DISCONTINUITY/],
      ['#EXT-X-PART:DURATION=0.5,URI="e/p2.m4s"', '#EXT-X-PART:DURATION=0.5', /needs URI/],
    ];
    for (const [from, to, rule] of broken) {
      expect(good).toContain(from);
      const errors = errorsOf(good.replace(from, to));
      expect(
        errors.some((e) => rule.test(e)),
        `${to}: ${errors.join('; ')}`,
      ).toBe(true);
    }
    expect(
      errorsOf(
        good
          .replace(
            '#EXT-X-MEDIA-SEQUENCE:0',
            '#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-INDEPENDENT-SEGMENTS',
          )
          .replace(',INDEPENDENT=YES', ''),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/§6.2.2/),
        expect.stringMatching(/starts with a dependent part/),
      ]),
    );
    const first = validatePlaylist(good).playlist;
    const reloaded = good
      .replace('#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-MEDIA-SEQUENCE:0')
      .replace('e/s0.m4s', 'e/other.m4s');
    expect(validatePlaylist(reloaded, { previous: first }).errors).toEqual([
      expect.stringMatching(/changed between reloads/),
    ]);
  });
});

describe('HLS packager failures', () => {
  it('a transmuxer that gives up is replaced and logged; nothing is thrown at the source', () => {
    const { packager, clock, logs } = packagerFor({ listSegments: 1000 });
    // 5 MiB without H.264: the core's NOT_H264 (a relay's source passes its H.264 check first, but the
    // packager must survive anything).
    expect(() => packager.push(new Uint8Array(5 * 1024 * 1024).fill(0xff))).not.toThrow();
    expect(logs.some((l) => /restarting the HLS packager/.test(l))).toBe(true);
    const state = feedState();
    feed(packager, readFixture('p01_pi_baseline_vga30_inline.h264'), state, clock, 30);
    expect(state.errors).toEqual([]);
    expect(packager.segmenter.lastPart()).toEqual({ msn: 2, index: 2 });
  });
});

describe('HLS HTTP: held requests over a long run', () => {
  it('leave nothing behind once answered (Node 20 kept ~57 bytes of each, for good)', async () => {
    // hold() combined the server-lifelong signal with each request's through AbortSignal.any(), which
    // on Node 20 adds an entry to the lifelong one per call and never takes it out (nodejs/node#55351):
    // an LL-HLS viewer's ~6 blocking requests a second grew the relay by ~30 MB a day.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { packager } = packagerFor();
    const reader = new AccessUnitReader();
    const input = readFixture('p01_pi_baseline_vga30_inline.h264');
    const aus = [...reader.push(input), ...reader.flush()].map((a) => a.data);
    for (const au of aus.slice(0, 25)) packager.push(au, true);
    const http = new HlsHttp(packager.segmenter, { blockTimeoutMs: 60_000 });
    const req = { method: 'GET' } as IncomingMessage;
    /** `n` requests for the hinted part (held: it does not exist yet), each closed by its client. */
    const round = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const res = Object.assign(new EventEmitter(), { destroyed: false, writableEnded: false });
        http.handle(req, res as unknown as ServerResponse, '/hls/test/p2.m4s', '');
        res.destroyed = true;
        res.emit('close');
      }
      // The held requests' promise callbacks run.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    expect(packager.segmenter.stats()['waiting']).toBe(0);
    await round(2000);
    gc();
    const before = process.memoryUsage().heapUsed;
    await round(50_000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(packager.segmenter.stats()['waiting']).toBe(0);
    // Measured here: 21.9 MB with AbortSignal.any(), 2.0 MB without (timers and aborts of 50,000
    // requests leave about that in a heap after gc() however they are written).
    expect(grown).toBeLessThan(6 * 1024 * 1024);
  });
});

describe('HLS HTTP: blocking playlist reload and preload hints', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(
    blockTimeoutMs = 60_000,
  ): Promise<{ base: string; packager: HlsPackager; aus: Uint8Array[]; http: HlsHttp }> {
    const { packager } = packagerFor();
    const http = new HlsHttp(packager.segmenter, { blockTimeoutMs });
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      http.handle(req, res, q < 0 ? url : url.slice(0, q), q < 0 ? '' : url.slice(q + 1));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const reader = new AccessUnitReader();
    const input = readFixture('p01_pi_baseline_vga30_inline.h264');
    const aus = [...reader.push(input), ...reader.flush()].map((a) => a.data);
    return {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      packager,
      aus,
      http,
    };
  }

  it('a blocking reload for the next part and the hinted part are answered once that part exists, not before', async () => {
    const { base, packager, aus } = await serve();
    let next = 0;
    const pushFrames = (n: number): void => {
      for (let i = 0; i < n; i++) packager.push(aus[next++]!, true);
    };
    pushFrames(25); // two parts of 10 frames and five frames into the third
    const text = await (await fetch(`${base}/hls/live.m3u8`)).text();
    const v = validatePlaylist(text, { partNumber });
    expect(v.errors).toEqual([]);
    const last = packager.segmenter.lastPart()!;
    expect(last).toEqual({ msn: 0, index: 1 });
    const hint = v.playlist.preloadHints['PART']!;
    expect(hint).toBe('test/p2.m4s');

    const events: string[] = [];
    const playlist = fetch(`${base}/hls/live.m3u8?_HLS_msn=0&_HLS_part=2`).then(async (r) => {
      events.push(`playlist ${r.status}`);
      return r.text();
    });
    const part = fetch(`${base}/hls/${hint}`).then(async (r) => {
      events.push(`part ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    });
    // The requests reach the server and wait there (a request on the same server answered meanwhile).
    await waitUntil(() => packager.segmenter.stats()['waiting'] === 2);
    for (let i = 0; i < 4; i++) {
      pushFrames(1);
      events.push(`frame ${next}`);
      await (await fetch(`${base}/hls/test/init0.mp4`)).arrayBuffer();
    }
    pushFrames(1); // the 30th frame completes part 2
    events.push(`frame ${next}`);
    const [body, bytes] = await Promise.all([playlist, part]);
    expect(events.slice(0, 5)).toEqual([
      'frame 26',
      'frame 27',
      'frame 28',
      'frame 29',
      'frame 30',
    ]);
    expect(events.slice(5).sort()).toEqual(['part 200', 'playlist 200']);
    expect(body).toContain('URI="test/p2.m4s"');
    expect(body).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="test/p3.m4s"');
    const p2 = packager.segmenter.part(2);
    expect(p2.state === 'ready' && Buffer.from(p2.data).equals(bytes)).toBe(true);
  });

  it('a request for a part of a segment that ended before that index is answered by the next segment', async () => {
    const { base, packager, aus } = await serve();
    for (let i = 0; i < 55; i++) packager.push(aus[i]!, true); // segment 0 ends at frame 60 with 6 parts
    const waiting = fetch(`${base}/hls/live.m3u8?_HLS_msn=0&_HLS_part=7`).then((r) => r.text());
    await waitUntil(() => packager.segmenter.stats()['waiting'] === 1);
    for (let i = 55; i < 70; i++) packager.push(aus[i]!, true);
    const text = await waiting;
    expect(text).toContain('#EXTINF:2,\ntest/s0.m4s');
    expect(text).toContain('URI="test/p6.m4s",INDEPENDENT=YES');
  });

  it('answers 400 to requests too far ahead or malformed, and 503 when the wait runs out', async () => {
    const { base, packager, aus } = await serve(300);
    for (let i = 0; i < 25; i++) packager.push(aus[i]!, true);
    const status = async (q: string): Promise<number> =>
      (await fetch(`${base}/hls/live.m3u8${q}`)).status;
    expect(await status('?_HLS_part=1')).toBe(400);
    expect(await status('?_HLS_msn=x')).toBe(400);
    expect(await status('?_HLS_msn=3')).toBe(400); // more than two segments past segment 0
    const limit = advancePartLimit(packager.segmenter.partTarget);
    expect(limit).toBe(9);
    expect(await status(`?_HLS_msn=0&_HLS_part=${1 + limit + 1}`)).toBe(400);
    expect(await status(`?_HLS_msn=1&_HLS_part=${limit}`)).toBe(400);
    // Within the limits but not reached before the (shortened) block timeout: 503.
    const late = await fetch(`${base}/hls/live.m3u8?_HLS_msn=2`);
    expect(late.status).toBe(503);
    expect(late.headers.get('cache-control')).toBe('no-store');
    // Old or unknown resources: 404; a part past the hinted one is not waited for.
    expect((await fetch(`${base}/hls/test/p9.m4s`)).status).toBe(404);
    expect((await fetch(`${base}/hls/other/p0.m4s`)).status).toBe(404);
    expect((await fetch(`${base}/hls/test/s0.m4s`)).status).toBe(404); // not complete yet
  });

  it('once the playlist has EXT-X-ENDLIST, the delivery directives are ignored (§6.2.5.2)', async () => {
    const { base, packager, aus } = await serve();
    for (const au of aus) packager.push(au, true);
    packager.end();
    const r = await fetch(`${base}/hls/live.m3u8?_HLS_msn=40&_HLS_part=2`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('#EXT-X-ENDLIST');
  });

  it('sends the cache headers a CDN needs', async () => {
    const { base, packager, aus } = await serve();
    for (let i = 0; i < 70; i++) packager.push(aus[i]!, true);
    const live = await fetch(`${base}/hls/live.m3u8`);
    expect(live.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(live.headers.get('cache-control')).toBe('no-cache');
    expect(live.headers.get('access-control-allow-origin')).toBe('*');
    const blocking = await fetch(`${base}/hls/live.m3u8?_HLS_msn=1&_HLS_part=0`);
    expect(blocking.headers.get('cache-control')).toBe('public, max-age=1');
    for (const uri of ['test/init0.mp4', 'test/s0.m4s', 'test/p0.m4s']) {
      const r = await fetch(`${base}/hls/${uri}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(r.headers.get('content-type')).toBe('video/mp4');
    }
    const segment = new Uint8Array(await (await fetch(`${base}/hls/test/s0.m4s`)).arrayBuffer());
    const parts = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(
        async (n) =>
          new Uint8Array(await (await fetch(`${base}/hls/test/p${n}.m4s`)).arrayBuffer()),
      ),
    );
    expect(Buffer.from(segment).equals(concatBytes(parts))).toBe(true);
    expect((await fetch(`${base}/hls/live.m3u8`, { method: 'POST' })).status).toBe(405);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}
