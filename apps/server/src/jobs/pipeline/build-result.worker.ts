import { parentPort } from 'node:worker_threads';
import type { CtVolume } from '@covseg/dicom';
import { SegmentationModel, type SharedSegmentationModel } from '@covseg/segmentation';
import { WORKER_READY } from '../../core/repositories/isolated-worker-pool';
import { buildSegmentationResult, type BuiltResult, type ResultBuildOptions } from './build-result';
import { collectGarbage } from '../../core/memory/collect-garbage';
import { HeldVolume, collectsGarbage, holdVolume } from './held-volume';
import { describeFailure } from './job-failure';
import type { SegmentationReporter } from './segment-volume.step';

/**
 * Entry of a job's segmentation thread (SegmentationThreadRepository runs it at JOB_NICE): one request
 * in, events (stage, progress, timings) and one reply out. The HU volume arrives shared (the decode
 * stream's SharedArrayBuffer) or transferred, never copied; the model arrives as a port to the
 * onnxruntime thread (SegmentationModel.share), so the session and its arena stay one per process.
 * The encoded objects go back transferred. An abort terminates this thread (the pool does it), so the
 * job's signal is not checked here.
 */
export interface BuildResultRequest {
  id: number;
  model: SharedSegmentationModel;
  /** The volume without `hu`; `hu` is `new Int16Array(huBuffer, huByteOffset, huLength)`. */
  volume: Omit<CtVolume, 'hu'>;
  /** Taken out of the request (set to undefined) as the volume is built here: only the volume's handle holds it. */
  huBuffer: ArrayBufferLike | undefined;
  huByteOffset: number;
  huLength: number;
  options: ResultBuildOptions;
}

export type BuildResultEvent =
  | { kind: 'stage'; stage: Parameters<SegmentationReporter['setStage']>[0] }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'timing'; stage: Parameters<SegmentationReporter['addTiming']>[0]; ms: number };

/** `failure` is describeFailure's of the error here: classes do not cross threads, their meaning does. */
export type BuildResultReply = { id: number; ok: true; result: BuiltResult } | { id: number; ok: false; failure: { code: string; message: string } };

const port = parentPort!;

async function build(request: BuildResultRequest): Promise<void> {
  let model: SegmentationModel | undefined;
  const send = (event: BuildResultEvent) => port.postMessage({ id: request.id, event });
  const report: SegmentationReporter = {
    checkpoint: () => undefined,
    setStage: (stage) => send({ kind: 'stage', stage }),
    progress: (done, total) => send({ kind: 'progress', done, total }),
    addTiming: (stage, ms) => send({ kind: 'timing', stage, ms }),
  };
  try {
    model = SegmentationModel.attach(request.model);
    const volume = heldVolumeOf(request);
    const result = await buildSegmentationResult(model, volume, request.options, report);
    const reply: BuildResultReply = { id: request.id, ok: true, result };
    port.postMessage(reply, transferable([result.seg.bytes, result.sr.bytes, ...result.keyImages.map((k) => k.bytes)]));
  } catch (error) {
    const reply: BuildResultReply = { id: request.id, ok: false, failure: describeFailure(error) };
    port.postMessage(reply);
  } finally {
    await model?.release();
  }
  // The masks (and, after a failure, the HU) are garbage now; this thread is idle until its next job, so
  // without a collection they would stay resident into it (2 x 157 MB at 600 slices).
  if (collectsGarbage(request.volume)) collectGarbage();
}

/**
 * The request's volume, its HU taken out of the request into the volume's handle: then the handle is
 * their only holder here. Its own (synchronous) function, so that no temporary of `build` (a value left
 * in its registers is kept across its awaits) references the HU.
 */
function heldVolumeOf(request: BuildResultRequest): HeldVolume {
  const hu = new Int16Array(request.huBuffer!, request.huByteOffset, request.huLength);
  request.huBuffer = undefined;
  return holdVolume({ ...request.volume, hu });
}

/** The buffers that can move without a copy: only those the bytes fill exactly (never a pooled Buffer's slab). */
function transferable(views: Uint8Array[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) buffers.add(v.buffer);
  return [...buffers];
}

port.on('message', (request: BuildResultRequest) => void build(request));
// Modules loaded and the handler set: the pool starts the task's deadline from here.
port.postMessage(WORKER_READY);
