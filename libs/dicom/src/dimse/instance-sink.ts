import { randomUUID } from 'node:crypto';
import { closeSync, fsync, openSync, unlinkSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/**
 * Streams one C-STORE data set to a temporary Part 10 file: the file meta header first, then the
 * fragments as they arrive. Past `limit` bytes it stops writing and only counts, so an oversized
 * instance costs no memory or disk and is answered with Out of Resources.
 */
export class InstanceSink extends Writable {
  readonly path: string;
  private readonly fd: number;
  private open = true;
  bytes = 0;
  overflowed = false;
  failed: Error | undefined;

  constructor(
    dir: string,
    meta: Buffer,
    private readonly limit: number,
    readonly transferSyntaxUID: string,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.path = join(dir, `${randomUUID()}.part`);
    this.fd = openSync(this.path, 'wx', 0o600);
    writeSync(this.fd, meta);
    this.bytes = meta.length;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.overflowed || this.failed || this.bytes > this.limit) {
      this.overflowed = this.overflowed || this.bytes > this.limit;
      return callback();
    }
    write(this.fd, chunk, (error) => {
      // Never fail the stream: dcmjs-dimse would drop the association; the C-STORE answers the failure instead.
      if (error) this.failed = error;
      callback();
    });
  }

  /** Flushes to disk (fsync) and closes; after this the file is complete or `overflowed`/`failed` says why not. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.open) return resolve();
      fsync(this.fd, (error) => {
        if (error) this.failed = error;
        this.closeFd();
        resolve();
      });
    });
  }

  private closeFd(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }

  /** Closes and deletes the temporary file (a refused, aborted or already filed instance). */
  discard(): void {
    this.closeFd();
    try {
      unlinkSync(this.path);
    } catch {
      // Already moved into the store, or never written.
    }
  }
}
