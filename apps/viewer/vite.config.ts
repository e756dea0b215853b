import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The viewer is served by the NestJS server (ViewerModule) from apps/viewer/dist, same origin as /api,
// so the browser never needs CORS and never talks to a PACS directly.
export default defineConfig({
  root: resolve(__dirname),
  base: './',
  build: {
    outDir: resolve(__dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  // The series-stream worker (loaders/series-stream.worker.ts) is bundled as its own ES module file, loaded
  // with { type: 'module' } from our origin (CSP worker-src 'self').
  worker: { format: 'es' },
  server: {
    proxy: { '/api': process.env.COVSEG_API_URL ?? 'http://127.0.0.1:3000' },
  },
});
