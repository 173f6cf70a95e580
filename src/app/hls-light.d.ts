// hls.js ships types for its full build only; the light build (no subtitles, alternate audio, DRM) has the
// same API for what ./hls-playback.ts uses.
declare module 'hls.js/light' {
  export { default } from 'hls.js';
}
