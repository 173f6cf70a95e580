// One Vitest config, node environment. Browser behaviour lives in test/e2e (Playwright), not here.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**', 'dist/**', 'dist-lib/**'],
    // Oracle tests spawn ffmpeg per fixture: generous hang guards, never wall-clock assertions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: child processes (forks) so ffmpeg work and JS work overlap, at most two at a time.
    pool: 'forks',
    maxWorkers: 2,
  },
});
