// The relay ends a frame when a byte-stream source (a camera's raw HTTP or TCP) pauses after its last
// slice, instead of a frame interval later at the next start code: access-unit viewers get it at once.
// Byte viewers get the source's bytes unchanged (no delimiter: a judged end is not a proven one).
import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import { FRAME_END_PAUSE_MS, FrameEndBudget } from '../../src/core/frame-end-budget.js';
import { Relay, type Viewer } from '../../src/cli/serve/relay.js';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { readFixture } from '../helpers/fixtures.js';
import { fixturePath, startRelay, waitFor } from './helpers.js';

const pause = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, FRAME_END_PAUSE_MS + 20));

function viewers(): { au: Viewer; bytes: Viewer; aus: Uint8Array[]; raw: Uint8Array[] } {
  const aus: Uint8Array[] = [];
  const raw: Uint8Array[] = [];
  const base = { transport: 'ws' as const, buffered: () => 0, close: () => undefined };
  return {
    au: { ...base, mode: 'au', writeAccessUnit: (d) => aus.push(d.slice()) },
    bytes: { ...base, transport: 'http', mode: 'bytes', writeBytes: (d) => raw.push(d.slice()) },
    aus,
    raw,
  };
}

function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}

for (const name of ['p01_pi_baseline_vga30_inline.h264', 'p04_high_bf3_1080p30.h264']) {
  describe(`${name}, written frame by frame by a camera`, () => {
    const data = readFixture(name);
    const reader = new AccessUnitReader();
    const frames = [...reader.push(data), ...reader.flush()];

    it('each frame reaches viewers when the source pauses after it, not with the next one', async () => {
      // The relay's clock at 30 fps, walks taking no time on it (what they cost: FrameEndBudget below).
      let clock = 0;
      const relay = new Relay({ now: () => clock });
      const v = viewers();
      relay.addViewer(v.au);
      relay.addViewer(v.bytes);
      const count = 20;
      for (let i = 0; i < count; i++) {
        const from = i === 0 ? 0 : frames[i]!.offset;
        const frame = frames[i]!;
        clock += 1000 / 30;
        relay.push(data.subarray(from, frame.offset + frame.size));
        await pause();
        // Frame i is out before any byte of frame i + 1 is pushed.
        expect(v.aus.length).toBe(i + 1);
        expect(Buffer.from(v.aus[i]!).includes(Buffer.from(frame.data))).toBe(true);
        // The byte viewer has all of its bytes too (and no delimiter: see Relay.paused).
        expect(concat(v.raw).equals(Buffer.from(data.subarray(0, frame.offset + frame.size)))).toBe(
          true,
        );
      }
      const stats = relay.stats();
      expect(stats.earlyFrameEnds.count).toBe(count);
      expect(stats.earlyFrameEnds.stopped).toBe(false);
    });

    it('without early ends, a frame waits for the next one', async () => {
      const relay = new Relay({ earlyFrameEnd: false });
      const v = viewers();
      relay.addViewer(v.au);
      for (let i = 0; i < 5; i++) {
        const from = i === 0 ? 0 : frames[i]!.offset;
        relay.push(data.subarray(from, frames[i]!.offset + frames[i]!.size));
        await pause();
        expect(v.aus.length).toBe(i);
      }
      expect(relay.stats().earlyFrameEnds.stopped).toBeUndefined();
    });
  });
}

it('a source paused inside a frame: nothing ends until the frame is whole', async () => {
  const data = readFixture('p04_high_bf3_1080p30.h264');
  const reader = new AccessUnitReader();
  const [first, second] = [...reader.push(data), ...reader.flush()];
  const relay = new Relay();
  const v = viewers();
  relay.addViewer(v.au);
  const end = first!.offset + first!.size;
  for (const cut of [Math.floor(end / 3), Math.floor((2 * end) / 3), end - 1]) {
    relay.push(data.subarray(relay.stats().bytesIn, cut));
    await pause();
    expect(v.aus.length).toBe(0);
  }
  relay.push(data.subarray(end - 1, end));
  await pause();
  expect(v.aus.length).toBe(1);
  relay.push(data.subarray(end, second!.offset + second!.size));
  await pause();
  expect(v.aus.length).toBe(2);
});

describe('FrameEndBudget', () => {
  /** Walks of `walkMs` every `everyMs` from `t`, for `seconds`; returns the time after them. */
  function walks(
    budget: FrameEndBudget,
    t: number,
    walkMs: number,
    everyMs: number,
    seconds: number,
  ): number {
    for (const end = t + seconds * 1000; t < end && budget.allowed; t += everyMs)
      budget.spent(t, t + walkMs);
    return t;
  }

  it('stops the early ends once walking takes over 40 % of the time', () => {
    const budget = new FrameEndBudget();
    // 640x480 at 30 fps on a desktop core: 2 ms a frame.
    let t = walks(budget, 0, 2, 1000 / 30, 5);
    expect(budget.allowed).toBe(true);
    expect(budget.lastShare).toBeCloseTo(0.06, 2);
    // 1080p CABAC at 30 fps on a desktop core: 11 ms a frame (a third of the time) still pays.
    t = walks(budget, t, 11, 1000 / 30, 5);
    expect(budget.allowed).toBe(true);
    // The same on a slow CPU: 20 ms of every 33.
    walks(budget, t, 20, 1000 / 30, 5);
    expect(budget.allowed).toBe(false);
    expect(budget.stopped).toMatch(/took 60 % of the time over 2\.\d s/);
  });

  it('is judged on time, not frames: a burst of walks at a connection does not stop it', () => {
    const budget = new FrameEndBudget();
    // A relay's GOP cache arriving at once: 30 short walks back to back (100 % of 90 ms).
    let t = 0;
    for (let i = 0; i < 30; i++, t += 3) budget.spent(t, t + 3);
    expect(budget.allowed).toBe(true);
    // Then the camera's pace: the window's share is what counts.
    walks(budget, t, 3, 1000 / 30, 4);
    expect(budget.allowed).toBe(true);
    expect(budget.lastShare).toBeLessThan(0.2);
  });
});

describe('h264mux serve --url (a camera over plain HTTP)', () => {
  it('each frame reaches a WebSocket viewer before the camera sends the next one', async () => {
    const { startStreamServer, splitAccessUnits } =
      await import('../e2e/support/stream-server.mjs');
    const file = fixturePath('p01_pi_baseline_vga30_inline.h264');
    const units = splitAccessUnits(new Uint8Array(readFileSync(file)));
    /** Frame index -> when its last byte was sent, per loop of the file. */
    const sent: { frame: number; at: number }[] = [];
    // 5 fps: 200 ms between frames, so the order below does not hang on a busy machine's timing.
    const camera = await startStreamServer({
      file,
      fps: 5,
      clock: 'per-client',
      onFrameSent: (_client: number, frame: number, at: number) => sent.push({ frame, at }),
    });
    const relay = await startRelay({ kind: 'url', url: camera.httpUrl });
    try {
      const arrivals: { size: number; at: number }[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/stream`);
      ws.binaryType = 'nodebuffer';
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (binary)
          arrivals.push({ size: data.length, at: performance.timeOrigin + performance.now() });
      });
      // The GOP cache comes at once when joining; then the live frames, one by one.
      const live = (): { size: number; at: number }[] =>
        arrivals.filter((a) => a.at > (arrivals[0]?.at ?? Infinity) + 100);
      await waitFor('6 live frames', () => live().length >= 6, 20_000);
      ws.close();
      // Each live frame arrived before the camera sent the next one.
      let checked = 0;
      for (const { size, at } of live()) {
        // The latest frame of that size sent before it arrived (sizes may repeat).
        let i = -1;
        sent.forEach((s, k) => {
          if (s.at <= at && units[s.frame]?.data.length === size) i = k;
        });
        if (i < 0) continue;
        const next = sent[i + 1];
        if (next) expect(at).toBeLessThan(next.at);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(5);
      expect(relay.relay.stats().earlyFrameEnds.count).toBeGreaterThanOrEqual(checked);
    } finally {
      await relay.close();
      await camera.close();
    }
  });
});
