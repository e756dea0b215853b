/**
 * Reading a response body into buffers the reader chooses. Where the body is a byte stream (fetch's in
 * Chromium and Firefox), a BYOB reader has the browser write the network's bytes straight into the
 * caller's view: measured in Chromium 156 on a 70 MB series, that halves the renderer's CPU time against a
 * default reader, whose every chunk is a fresh ArrayBuffer copied once more (bench/viewer.bench.ts prints
 * both floors). Other streams are read chunk by chunk and copied in.
 */

/** Where a reader puts the bytes it reads: free space after the unread bytes, then what it wrote there. */
export interface Sink {
  /** Free space for at least `wanted` bytes (the buffer may be compacted or replaced first). */
  reserve(wanted: number): Uint8Array<ArrayBuffer>;
  /** `written` lies at the start of the reserved space, on the buffer that now holds it (a BYOB read transfers the buffer). */
  commit(written: Uint8Array<ArrayBuffer>): void;
}

export interface ByteSource {
  /**
   * Reads the next bytes into the sink, at most `most` of them (Infinity: as many as the reserved space
   * takes); false at the end of the body.
   */
  readInto(sink: Sink, wanted: number, most: number): Promise<boolean>;
  /**
   * Reads into `target` (directly where the body is a byte stream) until it is full; a chunk's bytes past
   * it go to `spill`. Returns the view on the buffer that now holds the bytes (a BYOB read transfers the
   * buffer, so `target` is detached afterwards), or undefined when the body ended first.
   */
  fill(target: Uint8Array<ArrayBuffer>, spill: Sink): Promise<Uint8Array<ArrayBuffer> | undefined>;
  cancel(): Promise<void>;
}

export function byteSource(body: ReadableStream<Uint8Array>): ByteSource {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    byob = undefined; // not a byte stream: each chunk is copied in
  }
  if (byob) {
    const reader = byob;
    return {
      async readInto(sink, wanted, most) {
        const space = sink.reserve(wanted);
        const { done, value } = await reader.read(space.length > most ? space.subarray(0, most) : space);
        if (done || !value) return false;
        sink.commit(value);
        return true;
      },
      async fill(target) {
        const { byteOffset, length } = target;
        let buffer = target.buffer;
        for (let filled = 0; filled < length; ) {
          const { done, value } = await reader.read(new Uint8Array(buffer, byteOffset + filled, length - filled));
          if (done || !value) return undefined;
          // The read transferred the buffer: the same bytes, on a new ArrayBuffer.
          buffer = value.buffer;
          filled += value.length;
        }
        return new Uint8Array(buffer, byteOffset, length);
      },
      cancel: () => reader.cancel().catch(() => undefined),
    };
  }
  const reader = body.getReader();
  const copyIn = (sink: Sink, bytes: Uint8Array) => {
    const space = sink.reserve(bytes.length);
    space.set(bytes);
    sink.commit(space.subarray(0, bytes.length));
  };
  return {
    async readInto(sink) {
      const { done, value } = await reader.read();
      if (done) return false;
      copyIn(sink, value);
      return true;
    },
    async fill(target, spill) {
      for (let filled = 0; filled < target.length; ) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        const n = Math.min(value.length, target.length - filled);
        target.set(value.subarray(0, n), filled);
        filled += n;
        if (n < value.length) copyIn(spill, value.subarray(n));
      }
      return target;
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}
