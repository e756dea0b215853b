// Worker-thread entry of FrameDecodePool (decode-pool.ts). It runs the very functions the main thread
// runs (decodeEncodedFrame or decodeNativeFrame, applyModalityLut), so HU decoded here are bit-identical to a serial decode.
// Never inline a copy of the decoders in this file: two copies drift apart.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { DicomError } from '../errors';
import { applyModalityLut } from '../volume/rescale';
import { decodeEncodedFrame, decodeNativeFrame } from './decode-frame';
import type { DecodeReply, DecodeRequest } from './decode-messages';

const port = parentPort;
if (!port) throw new Error('decode-worker.ts runs only as a worker thread');

// FrameDecodePoolOptions.niceness: Linux keeps a niceness per thread (setpriority on this thread's own
// id). Raised only: an unprivileged process could not lower it back.
const niceness = (workerData as { niceness?: number } | undefined)?.niceness;
if (niceness !== undefined) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (getPriority(tid) < niceness) setPriority(tid, niceness);
  } catch {
    // Not Linux (no /proc/thread-self): the thread runs at the process's niceness.
  }
}

port.on('message', (request: DecodeRequest) => {
  void (async (): Promise<DecodeReply> => {
    try {
      const { frame } = request;
      const stored = frame.encoding === 'native' ? decodeNativeFrame(new Uint8Array(frame.bytes), frame.pixel, frame.index) : await decodeEncodedFrame({ ...frame, bytes: new Uint8Array(frame.bytes) });
      const target = new Int16Array(request.target, request.targetOffset * 2, request.pixels);
      applyModalityLut(stored, request.slope, request.intercept, target);
      return { id: request.id, ok: true };
    } catch (error) {
      const e = error as Partial<DicomError> & { transferSyntaxUID?: string; sopInstanceUID?: string };
      return {
        id: request.id,
        ok: false,
        error: {
          name: typeof e?.name === 'string' ? e.name : 'Error',
          message: typeof e?.message === 'string' ? e.message : String(error),
          transferSyntaxUID: e?.transferSyntaxUID,
        },
      };
    }
  })().then((reply) => port.postMessage(reply));
});
