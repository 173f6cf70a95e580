// How each engine's count of the frames it was given to show is read. Established by playing every
// fixture in each engine, at 1x: faster, on a loaded machine, the engines count differently (Firefox at
// 2x, load average 25: totalVideoFrames 55 for p15's 50, 152 for p14's 150, 32 for BAMQ1's 30) and the
// last frame is not always presented (Chromium at 2x: BA1_Sony_D, SVA_NL1_B, p12).
// - Chromium, Firefox: getVideoPlaybackQuality().totalVideoFrames counts every frame decoded and handed
//   to the compositor. droppedVideoFrames (frames the compositor skipped because the next one was
//   already due) grows with the load, so it is printed, not asserted. requestVideoFrameCallback runs at
//   the screen's refresh and its mediaTimes miss frames (Firefox p01 at 1x: 119 of 150), and Firefox's
//   presentedFrames counts repaints (180 for 150).
// - WebKitGTK: totalVideoFrames counts the frames rendered and droppedVideoFrames those its GStreamer sink
//   dropped for arriving late (load: p06 95 + 5, test_scalinglist_jm 3 + 2), so together they are the
//   frames that reached the sink. A playbackRate change is applied by a flushing seek that resets both
//   counters (forced 0.7x on p01 at 2 s: 61 before + 90 after; presentedFrames 151, one frame shown again,
//   none lost); the player changes the rate when frames are dropped (stats.player.slowdowns), and then the
//   count is unknown. Any rate but 1 from the start loses frames (p01 at 4x: 122 of 150, no frame
//   callbacks).
import type { EngineName } from './engine.js';
import type { Playback } from './playback.js';

/** Frames the engine was given to show (decoded, handed on), or undefined where the engine lost count. */
export function framesCounted(engine: EngineName, played: Playback): number | undefined {
  if (engine !== 'webkit') return played.totalVideoFrames;
  if ((played.slowdowns ?? 0) > 0) return undefined;
  return played.totalVideoFrames + played.droppedVideoFrames;
}
