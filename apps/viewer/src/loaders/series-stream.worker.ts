/**
 * The series-stream worker: retrieves one series (WADO-RS, multipart/related of Part 10 files), takes it
 * apart and turns each instance into its slice's stored values as the bytes arrive, then transfers each
 * slice's buffer to the page (zero copy). The page's main thread only wraps buffers into cornerstone
 * images, so reading 70 MB of a 133-slice CT never competes with rendering. Protocol:
 * series-stream.protocol.ts. Loaded by `new Worker(new URL(…), { type: 'module' })`, a bundled file of
 * our own origin (CSP `worker-src 'self'`, no blob: URL).
 */
import { readMultipartStream } from './multipart';
import { pixelsOfPart, UnreadableSyntaxError } from './series-pixels';
import type { FromStreamWorker, StartStream } from './series-stream.protocol';

// Typed with the DOM lib: a dedicated worker's postMessage takes the same (message, { transfer }) shape.
function post(message: FromStreamWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

self.addEventListener('message', (event: MessageEvent<StartStream>) => {
  if (event.data?.type === 'start') void stream(event.data);
});

async function stream(request: StartStream): Promise<void> {
  const formats = new Map(request.slices.map((s) => [s.sopInstanceUID, s]));
  try {
    // no-store: 70 MB written into the HTTP cache cost Chromium's network process about as much CPU as
    // receiving them (measured, Chromium 156), would evict the app's own files, and a series opened again
    // comes from cornerstone's cache, not this request.
    const response = await fetch(request.url, { headers: request.headers, cache: 'no-store' });
    post({ type: 'response', status: response.status });
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok || !response.body || !contentType.toLowerCase().startsWith('multipart/')) {
      await response.body?.cancel();
      return post({ type: 'end', outcome: 'refused', detail: `status ${response.status}, ${contentType || 'no content type'}` });
    }
    await readMultipartStream(response.body, contentType, (part) => {
      const slice = pixelsOfPart(part, formats);
      if (!slice) return;
      // A PACS may repeat an instance; the page takes each slice once.
      formats.delete(slice.sopInstanceUID);
      const buffer = slice.pixels.buffer as ArrayBuffer;
      post({ type: 'slice', sopInstanceUID: slice.sopInstanceUID, buffer, min: slice.min, max: slice.max }, [buffer]);
    });
    post({ type: 'end', outcome: 'complete' });
  } catch (error) {
    post({ type: 'end', outcome: error instanceof UnreadableSyntaxError ? 'unreadable' : 'failed', detail: error instanceof Error ? error.message : String(error) });
  }
}
