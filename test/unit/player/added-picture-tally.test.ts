// The transmuxer's gray pictures (start pictures, anchors) taken out of the element's frame counts
// (src/player/added-picture-tally.ts): Chromium counts each as decoded and dropped, Firefox as decoded.
import { describe, expect, it } from 'vitest';
import { AddedPictureTally } from '../../../src/player/added-picture-tally.js';

describe('AddedPictureTally', () => {
  it('Chromium: each gray picture the playhead passes comes off decoded, and its drop off dropped', () => {
    const tally = new AddedPictureTally();
    tally.add([0, 10, 20]);
    // Read every 250 ms at 30 fps; the engine counts a gray picture dropped as the playhead passes it.
    let decoded = 0;
    let dropped = 0;
    let last = { decoded: 0, dropped: 0 };
    for (let ms = 0; ms <= 25_000; ms += 250) {
      const playhead = ms / 1000;
      decoded = Math.floor(playhead * 30) + 1 + [0, 10, 20].filter((t) => t <= playhead).length;
      dropped = [0, 10, 20].filter((t) => t <= playhead).length;
      last = tally.correct({ decoded, dropped }, playhead, ms);
    }
    expect(last).toEqual({ decoded: 751, dropped: 0 });
  });

  it("Firefox: off decoded only; the engine's own drops stay counted", () => {
    const tally = new AddedPictureTally();
    tally.add([10]);
    expect(tally.correct({ decoded: 300, dropped: 0 }, 9.9, 9_900)).toEqual({
      decoded: 300,
      dropped: 0,
    });
    expect(tally.correct({ decoded: 304, dropped: 0 }, 10.1, 10_100)).toEqual({
      decoded: 303,
      dropped: 0,
    });
    // A drop 3 s on is the stream's.
    expect(tally.correct({ decoded: 394, dropped: 1 }, 13.1, 13_100)).toEqual({
      decoded: 393,
      dropped: 1,
    });
  });

  it('a drop counted in a later read, within a second, is the gray picture’s; later, the stream’s', () => {
    const tally = new AddedPictureTally();
    tally.add([10, 20]);
    tally.correct({ decoded: 300, dropped: 0 }, 9.9, 9_900);
    tally.correct({ decoded: 304, dropped: 0 }, 10.05, 10_050);
    expect(tally.correct({ decoded: 311, dropped: 1 }, 10.3, 10_300)).toEqual({
      decoded: 310,
      dropped: 0,
    });
    tally.correct({ decoded: 601, dropped: 1 }, 20.05, 20_050);
    expect(tally.correct({ decoded: 650, dropped: 2 }, 21.6, 21_600)).toEqual({
      decoded: 648,
      dropped: 1,
    });
  });

  it('a restart (a file seek) forgets the gray pictures appended before it', () => {
    const tally = new AddedPictureTally();
    tally.add([10]);
    tally.restart();
    tally.add([50]);
    expect(tally.correct({ decoded: 40, dropped: 0 }, 51, 1_000)).toEqual({
      decoded: 39,
      dropped: 0,
    });
  });
});
