/** A picture of the frame on screen, and that frame's stream time (seconds). */
export interface Snapshot {
  readonly png: Blob;
  readonly mediaTime: number;
  /** The picture's size in pixels. */
  readonly width: number;
  readonly height: number;
}

/** The frame a `<video>` shows now, at its own size. */
export async function videoSnapshot(video: HTMLVideoElement): Promise<Snapshot> {
  const png = await framePng(video);
  return {
    png,
    mediaTime: video.currentTime,
    width: video.videoWidth,
    height: video.videoHeight,
  };
}

/**
 * A PNG of the frame on screen: drawn from the video element onto a canvas at the video's own size, or
 * taken from the canvas the page's WebCodecs renderer paints. (Not a canvas painted by the worker: see
 * ./worker-output.ts `snapshot`.)
 */
export function framePng(source: HTMLVideoElement | HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const done = (blob: Blob | null): void =>
      blob ? resolve(blob) : reject(new Error('the canvas could not be encoded'));
    if (source instanceof HTMLCanvasElement) {
      source.toBlob(done, 'image/png');
      return;
    }
    if (source.videoWidth === 0 || source.videoHeight === 0) {
      reject(new Error('no picture yet'));
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = source.videoWidth;
    canvas.height = source.videoHeight;
    const context = canvas.getContext('2d');
    if (!context) {
      reject(new Error('this browser has no 2D canvas'));
      return;
    }
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(done, 'image/png');
  });
}
