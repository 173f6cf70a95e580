// A stream started at a recovery point (a file seek, a viewer joining an open-GOP stream): x264's open-GOP
// reference pictures carry memory_management_control_operation 1 commands naming pictures from before the
// start. Chromium's decoder (FFmpeg with err_detect explode) failed the stream on them: a seek into an open-GOP
// file ended in PIPELINE_ERROR_DECODE. Every cut at a recovery point must decode without a single error under
// `-err_detect explode`, to the same pictures as the whole stream decodes from that point on, with CABAC and
// CAVLC slices alike.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import { NalType, nalBytes } from '../../src/core/h264/nal.js';
import { x264 } from '../helpers/encoders.js';
import { framemd5, run, withTempDir } from '../helpers/ffmpeg.js';
import { transmux } from '../helpers/transmux.js';

const START = Uint8Array.of(0, 0, 0, 1);
const FRAMES = 150;
const OPEN_GOP = 'open-gop=1:keyint=30:min-keyint=30:scenecut=0:bframes=3:b-pyramid=normal';

/** The stream's parameter sets, and a copy of it from each recovery point SEI on behind them. */
function cutsAtRecoveryPoints(stream: Uint8Array): Uint8Array[] {
  const splitter = new AnnexBSplitter();
  const units = [...splitter.push(stream), ...splitter.flush()].map(nalBytes);
  const sets = units.filter((u) => [NalType.Sps, NalType.Pps].includes((u[0] as number) & 0x1f));
  const cuts: Uint8Array[] = [];
  units.forEach((unit, i) => {
    // SEI whose first message is a recovery point (payloadType 6, §D.1.8) opens a non-IDR keyframe.
    if (((unit[0] as number) & 0x1f) !== (NalType.Sei as number) || unit[1] !== 6) return;
    cuts.push(concatBytes([...sets, ...units.slice(i)].flatMap((u) => [START, u])));
  });
  return cuts;
}

async function explodeErrors(file: string): Promise<string> {
  const r = await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-v', 'error', '-err_detect', 'explode'],
    ...['-i', file, '-f', 'null', '-'],
  ]);
  return r.stderr.trim();
}

describe('a start at a recovery point decodes without errors to the pictures of the whole stream', () => {
  for (const entropy of ['cabac', 'cavlc'] as const) {
    it(`x264 open GOP, ${entropy}`, { timeout: 120_000 }, async () => {
      await withTempDir(async (dir) => {
        const whole = join(dir, 'whole.h264');
        const params = `${OPEN_GOP}:cabac=${entropy === 'cabac' ? 1 : 0}`;
        await x264(whole, ['-preset', 'veryfast', '-x264-params', params], FRAMES);
        const reference = (await framemd5(whole)).map((f) => f.md5);
        expect(reference.length).toBe(FRAMES);
        const cuts = cutsAtRecoveryPoints(new Uint8Array(await readFile(whole)));
        expect(cuts.length).toBeGreaterThanOrEqual(3);
        for (const [n, cut] of cuts.entries()) {
          const { parts } = transmux(cut);
          const mp4 = join(dir, `cut-${n}.mp4`);
          await writeFile(
            mp4,
            concatBytes(
              parts.flatMap((p) => [p.initSegment.data, ...p.mediaSegments.map((m) => m.data)]),
            ),
          );
          expect(await explodeErrors(mp4), `cut ${n}`).toBe('');
          const ours = (await framemd5(mp4)).map((f) => f.md5);
          const from = reference.indexOf(ours[0] as string);
          expect(from, `cut ${n}: first picture is one of the stream's`).toBeGreaterThan(0);
          expect(ours, `cut ${n}`).toEqual(reference.slice(from));
        }
      });
    });
  }
});
