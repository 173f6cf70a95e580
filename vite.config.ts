// Static web app: `vite build` writes dist/ with relative URLs (base './'), so the built page works
// from any path (file server, GitHub Pages, the relay). The transmuxer worker is an ES module.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
  },
  worker: {
    format: 'es',
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
  },
});
