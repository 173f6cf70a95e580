// Slice headers and picture order count checked against ffprobe: the picture type of every frame, in
// presentation order, must be what ffmpeg's own decoder reports for the raw stream.
import { describe, expect, it } from 'vitest';
import { Transmuxer, type MediaSegment } from '../../src/core/index.js';
import { probeFrames } from '../helpers/ffmpeg.js';
import { fixturePath, fixtures, readFixture } from '../helpers/fixtures.js';

describe('picture types in presentation order agree with ffprobe', () => {
  for (const f of fixtures) {
    it(f.name, async () => {
      const t = new Transmuxer(f.oracleArgs.fps !== undefined ? { fps: f.oracleArgs.fps } : {});
      const samples = [...t.push(readFixture(f.name)), ...t.flush()]
        .filter((o): o is MediaSegment => o.type === 'media')
        .flatMap((s) => s.samples);
      const ours = [...samples]
        .sort((a, b) => a.pts - b.pts)
        .map((s) => (s.pictureType === 'IDR' ? 'I' : s.pictureType));
      const probed = await probeFrames(fixturePath(f.name));
      const theirs = probed.frames.map((fr) => fr.pictType);
      // A truncated stream may lose its damaged last frame; ffprobe still reports it.
      expect(ours).toEqual(theirs.slice(0, ours.length));
      expect(ours.length).toBeGreaterThanOrEqual(theirs.length - (f.oracleArgs.allowMissing ?? 0));
      // Between IDRs (where POC restarts), presentation order is POC order (§8.2.1).
      let epoch = 0;
      const epochs = samples.map((s) => (s.pictureType === 'IDR' ? ++epoch : epoch));
      for (let e = 0; e <= epoch; e++) {
        const inEpoch = samples.filter((_, i) => epochs[i] === e);
        const byPts = [...inEpoch].sort((a, b) => a.pts - b.pts).map((s) => s.index);
        const byPoc = [...inEpoch].sort((a, b) => a.poc - b.poc).map((s) => s.index);
        expect(byPts).toEqual(byPoc);
      }
    });
  }
});
