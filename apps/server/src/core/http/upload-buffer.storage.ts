import type { Request } from 'express';
import type { StorageEngine } from 'multer';

type MulterFile = Parameters<StorageEngine['_handleFile']>[1];
type HandleCallback = Parameters<StorageEngine['_handleFile']>[2];

/** First allocation when the request does not declare its length (chunked transfer). */
const UNKNOWN_LENGTH_START = 256 * 1024;

/**
 * A buffer of its own ArrayBuffer (never the Buffer pool) whose bytes are not zero-filled first: a
 * 12 MB zero-fill in one go on the event loop showed up as 50–270 ms runs of `_handleFile` in a CPU
 * profile of bench/upload-stall.bench.ts on the loaded 2-core VM; unzeroed, the pages are first touched
 * by the copies of the arriving chunks, spread over the upload.
 */
function unzeroed(bytes: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * A multer storage engine that copies each chunk of the uploaded file into one ArrayBuffer as it
 * arrives, instead of multer's memory storage, which keeps the chunks and joins them with
 * Buffer.concat when the file ends.
 *
 * Why: busboy hands over a 12 MB hostile DICOM in tens of thousands of small pieces (every partial
 * boundary match splits a chunk), and joining them at the end held the event loop for 50–90 ms per
 * upload (CPU profile of bench/upload-stall.bench.ts), long enough to push /api/health past 100 ms
 * with four such uploads at once. Copied chunk by chunk, the same bytes cost microseconds per event.
 *
 * The file's buffer (`file.buffer`) views a fresh ArrayBuffer owned by this upload alone: no Node
 * Buffer pool, no other view. Its owner may transfer it to a worker thread (zero copy).
 * Memory: at most min(Content-Length, maxBytes + 1) bytes per upload; past maxBytes busboy's fileSize
 * limit ends the stream and multer answers 413.
 */
export class UploadBufferStorage implements StorageEngine {
  // Invariant: only bytes [0, size) of `store` are ever viewed (file.buffer); the rest of an unzeroed
  // allocation is never read, here or in the parse worker it is transferred to (which views exactly the
  // file's byteOffset/byteLength). Never hand `store.buffer` out whole, or replace `unzeroed` by a
  // pooled Buffer (a pool slice cannot be transferred).

  constructor(private readonly maxBytes: number) {}

  _handleFile(req: Request, file: MulterFile, callback: HandleCallback): void {
    const declared = Number(req.headers['content-length']);
    const cap = this.maxBytes + 1;
    let store = unzeroed(Number.isFinite(declared) && declared > 0 ? Math.min(declared, cap) : Math.min(UNKNOWN_LENGTH_START, cap));
    let size = 0;
    let settled = false;
    const settle = (error: Error | null, info?: Partial<MulterFile>) => {
      if (settled) return;
      settled = true;
      callback(error, info);
    };
    file.stream.on('data', (chunk: Buffer) => {
      if (size + chunk.length > store.length) {
        // Only when the declared length was absent or wrong: grow by doubling, never past the cap
        // (the fileSize limit stops the stream at maxBytes + 1 anyway).
        const grown = unzeroed(Math.min(Math.max(store.length * 2, size + chunk.length), Math.max(cap, size + chunk.length)));
        grown.set(store.subarray(0, size));
        store = grown;
      }
      store.set(chunk, size);
      size += chunk.length;
    });
    file.stream.on('error', (error: Error) => settle(error));
    file.stream.on('end', () => {
      const buffer = Buffer.from(store.buffer, 0, size);
      settle(null, { buffer, size });
    });
  }

  _removeFile(_req: Request, file: MulterFile, callback: (error: Error | null) => void): void {
    // Nothing on disk: drop the reference so the bytes can be collected.
    (file as { buffer?: Buffer }).buffer = undefined;
    callback(null);
  }
}
