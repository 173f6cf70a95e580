// The worker's service answers `frame-end` (a live byte stream paused) with the frame in progress when
// it is whole, so the worker's own source and the page's pushes get each frame without waiting for the
// next one's start code.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import type { TransmuxerOutput } from '../../src/core/index.js';
import { TransmuxService } from '../../src/worker/transmux-service.js';
import type { WorkerCommand } from '../../src/worker/protocol.js';
import { readFixture } from '../helpers/fixtures.js';

async function outputs(
  service: TransmuxService,
  command: WorkerCommand,
): Promise<TransmuxerOutput[]> {
  const [response] = await service.handle(command);
  if (response.type !== 'outputs') throw new Error(`unexpected answer ${response.type}`);
  return [...response.outputs];
}

const frames = (outs: readonly TransmuxerOutput[]): number =>
  outs.reduce((n, o) => n + (o.type === 'media' ? o.frames : 0), 0);

describe('TransmuxService frame-end', () => {
  it('gives each whole frame of a paused live stream at once, and nothing inside a frame', async () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const reader = new AccessUnitReader();
    const aus = [...reader.push(data), ...reader.flush()];
    const service = new TransmuxService();
    await outputs(service, {
      type: 'configure',
      id: 1,
      options: { fragment: 'frame', lowLatency: true },
    });
    /** Frames out of pushing `bytes` and then pausing (`frame-end`). */
    const pushThenPause = async (bytes: Uint8Array): Promise<number> =>
      frames(await outputs(service, { type: 'push', id: 2, data: bytes, endOfAccessUnit: false })) +
      frames(await outputs(service, { type: 'frame-end', id: 3 }));
    let out = 0;
    for (let i = 0; i < 10; i++) {
      const au = aus[i]!;
      const from = i === 0 ? 0 : au.offset;
      const end = au.offset + au.size;
      // Half the frame, a pause: nothing.
      const half = from + Math.floor((end - from) / 2);
      out += await pushThenPause(data.slice(from, half));
      expect(out).toBe(i);
      // The rest of it, a pause: the frame.
      out += await pushThenPause(data.slice(half, end));
      expect(out).toBe(i + 1);
    }
  });
});

describe('TransmuxService frame-end on a slow walk', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Frames out of the first frame of `name`, pushed whole, then a pause, with `performance.now` ticking `msPerCall`. */
  async function firstFrameAtPause(
    name: string,
    msPerCall: number,
    /** 0: none (the rate from the stream, else assumed). */
    fps = 30,
  ): Promise<[number, number]> {
    const data = readFixture(name);
    const reader = new AccessUnitReader();
    const [first, second] = [...reader.push(data), ...reader.flush()];
    const service = new TransmuxService();
    await outputs(service, {
      type: 'configure',
      id: 1,
      options: { fragment: 'frame', lowLatency: true, ...(fps ? { fps } : {}) },
    });
    const atPause = frames(
      await outputs(service, {
        type: 'push',
        id: 2,
        data: data.slice(0, first!.size),
        endOfAccessUnit: false,
      }),
    );
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += msPerCall));
    const early = frames(await outputs(service, { type: 'frame-end', id: 3 }));
    vi.restoreAllMocks();
    // The next frame's start code ends it in any case: nothing is lost.
    const later = frames(
      await outputs(service, {
        type: 'push',
        id: 4,
        data: data.slice(first!.size, second!.offset + second!.size),
        endOfAccessUnit: false,
      }),
    );
    return [atPause + early, atPause + early + later];
  }

  it('ends the frame when its walk takes less than a frame interval', async () => {
    expect(await firstFrameAtPause('p01_pi_baseline_vga30_inline.h264', 0)).toEqual([1, 1]);
  });

  it('gives up a walk that outlasts a frame interval: the next start code ends the frame', async () => {
    // A 640x480 keyframe: 1200 macroblocks, the clock asked every 16 of them; at 1 ms a call, the
    // frame interval (33 ms at 30 fps) is over after 34 calls. (A cold first walk took 27-43 ms in
    // Chromium's worker; one of a 1080p CABAC keyframe, 108 ms in Node.)
    expect(await firstFrameAtPause('p01_pi_baseline_vga30_inline.h264', 1)).toEqual([0, 1]);
  });

  it('does not bound the walk where the frame rate is not declared (frames may come far apart)', async () => {
    // No VUI timing and no fps option: 30 fps is only assumed.
    expect(await firstFrameAtPause('p02_pi_baseline_vga30_notiming.h264', 1, 0)).toEqual([1, 1]);
  });
});
