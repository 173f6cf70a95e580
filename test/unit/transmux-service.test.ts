// The worker's service answers `frame-end` (a live byte stream paused) with the frame in progress when
// it is whole, so the worker's own source and the page's pushes get each frame without waiting for the
// next one's start code.
import { describe, expect, it } from 'vitest';
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

describe('TransmuxService reset (a reconnect)', () => {
  it("answers with the lost connection's complete frames, and a recording keeps them", async () => {
    const data = readFixture('p03_main_bf3_pyramid_360p30.h264'); // B pyramid: frames held for reordering
    const prefix = data.subarray(0, 60_000);
    const complete = new AccessUnitReader().push(prefix).length; // the last one is cut
    const service = new TransmuxService();
    await outputs(service, { type: 'configure', id: 1, options: { fragment: 'frame' } });
    await outputs(service, {
      type: 'record-start',
      id: 2,
      options: { layout: 'fragmented', maxBytes: 64 << 20 },
    });
    let shown = frames(
      await outputs(service, { type: 'push', id: 3, data: prefix, endOfAccessUnit: false }),
    );
    shown += frames(await outputs(service, { type: 'reset', id: 4 }));
    expect(shown).toBe(complete);
    // The next connection: the stream again, from its first keyframe.
    await outputs(service, { type: 'push', id: 5, data, endOfAccessUnit: false });
    const [answer] = await service.handle({ type: 'record-stop', id: 6 });
    if (answer.type !== 'recording') throw new Error(`unexpected answer ${answer.type}`);
    const whole = new AccessUnitReader().push(data).length; // the stream's last frame ends at record-stop
    expect(answer.recording.frames).toBe(complete + whole + 1);
  });
});
