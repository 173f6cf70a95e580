// Engines update getVideoPlaybackQuality() a moment after 'ended', the later the busier the machine:
// specs read the counts once they have settled. `settleFrameCounts` runs in the page (Playwright's
// page.evaluate, or an engine session's evaluate): it uses nothing from this module.

export interface SettleOptions {
  /** Give up after this long (ms); the spec then judges the figures as they are. */
  readonly maxMs: number;
  /**
   * Also wait until the count equals `window.__probe.presented` (test/e2e/engines/playback.ts), the
   * frames requestVideoFrameCallback saw presented: only where presentedFrames counts frames.
   */
  readonly untilPresented: boolean;
}

/** Resolves once totalVideoFrames + droppedVideoFrames has held still for 300 ms (and agrees). */
export async function settleFrameCounts(options: SettleOptions): Promise<boolean> {
  const video = document.querySelector('video');
  if (!video) throw new Error('no <video>');
  const probe = options.untilPresented
    ? (window as unknown as { __probe: { presented: number } }).__probe
    : undefined;
  const read = (): number => {
    const q = video.getVideoPlaybackQuality();
    return q.totalVideoFrames + q.droppedVideoFrames;
  };
  let last = read();
  let stillSince = performance.now();
  const until = stillSince + options.maxMs;
  while (
    performance.now() < until &&
    (performance.now() - stillSince < 300 || (probe !== undefined && last !== probe.presented))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (now !== last) {
      last = now;
      stillSince = performance.now();
    }
  }
  return true;
}
