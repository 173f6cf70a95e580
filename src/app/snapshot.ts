/** A PNG of the frame on screen, drawn from the video element onto a canvas at the video's own size. */

export function snapshotPng(video: HTMLVideoElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    if (video.videoWidth === 0 || video.videoHeight === 0) {
      reject(new Error('no picture yet'));
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d');
    if (!context) {
      reject(new Error('this browser has no 2D canvas'));
      return;
    }
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the canvas could not be encoded'))),
      'image/png',
    );
  });
}

/** `clip-12.345s.png` for `clip.h264` at 12.345 s; a URL label keeps its host and last path part. */
export function snapshotName(label: string, seconds: number): string {
  const base =
    label
      .replace(/\.(h264|264|avc|h26l|jsv|bin)$/i, '')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'frame';
  return `${base}-${seconds.toFixed(3)}s.png`;
}
