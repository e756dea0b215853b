import { performance } from 'node:perf_hooks';
import { InvalidInputError } from '../errors';
import type { SegmentationModel } from '../inference/segmentation-model';
import { computeLungHulls } from '../lung/lung-hull';
import { removeComponentsSmallerThan3d } from '../lung/connected-components-3d';
import { computeLungMask, type LungMaskOptions } from '../lung/lung-mask';
import { placeProbability } from '../postprocess/place-probability';
import { computeLungFrame } from '../preprocess/frame';
import { writeModelInput } from '../preprocess/model-input';
import type { PixelRect } from '../preprocess/resize';
import { buildWindowLut, windowToUint8 } from '../preprocess/window';
import { type Quantification, quantify } from '../quantify/quantify';

/** A CT volume as typed arrays plus geometry (no DICOM). */
export interface CtVolumeInput {
  /** HU, slice-major: `z * rows * columns + y * columns + x`. Not modified, not retained. */
  hu: Int16Array;
  rows: number;
  columns: number;
  slices: number;
  /** mm between adjacent rows (y), columns (x), slices (z). */
  rowSpacingMm: number;
  columnSpacingMm: number;
  sliceSpacingMm: number;
  /** True (default) when increasing column points to patient Left (+x in LPS), as for a row direction of [1, 0, 0]. */
  columnsIncreaseTowardPatientLeft?: boolean;
}

export interface SegmentVolumeProgress {
  stage: 'lung' | 'segment';
  /** Slices done in this stage, and the total. */
  done: number;
  total: number;
}

export interface SegmentVolumeOptions {
  onProgress?: (progress: SegmentVolumeProgress) => void;
  lung?: Omit<LungMaskOptions, 'columnsIncreaseTowardPatientLeft'>;
  /**
   * Where infection may be: 'lung' (default) keeps it inside the classical lung mask. 'lung-hull'
   * allows it anywhere in the per-slice convex hull of each lung and adds it to the lung, so a large
   * pleura-based consolidation (as dense as the chest wall, too wide for the mask's 10 mm closing)
   * counts as infected lung; the price is that whatever the model calls infection in the hull's
   * non-lung parts counts too: on LIDC-IDRI-0001 the hulls hold 5.1 L against 3.9 L of lung, the
   * difference being the heart in the cardiac notch and the liver dome under the basal crescents.
   * Hence not the default.
   */
  infectionRegion?: 'lung' | 'lung-hull';
  /** Checked between stages and batches; an aborted signal rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Wall-clock milliseconds per stage. Pre- and post-processing of one chunk overlap the model's run of
 * another, so the stages may add up to more than `totalMs`.
 */
export interface SegmentVolumeTimings {
  lungMs: number;
  preprocessMs: number;
  /** Time spent waiting for the model (its run time not hidden behind pre- and post-processing). */
  inferMs: number;
  postprocessMs: number;
  totalMs: number;
}

export interface VolumeSegmentation {
  /** 0/1 infection, slice-major like `hu`; always inside `lung` (which grows by it with 'lung-hull'). Caller owns it. */
  infection: Uint8Array;
  /** 0/1 lung, slice-major. Caller owns it. */
  lung: Uint8Array;
  /** 0 none, 1 patient right lung, 2 patient left lung. Caller owns it. */
  lungSide: Uint8Array;
  quantification: Quantification;
  timings: SegmentVolumeTimings;
  /** Per slice: the model frame (pixels), or null when the slice had too little lung to run. */
  frames: (PixelRect | null)[];
  /** How many slices went through the model. */
  slicesInferred: number;
}

/**
 * The whole DICOM-path pipeline of docs/CONTRACTS.md §1 on one volume: lung mask, per-slice
 * window → lung frame → resize → model (in batches of `model.batchSize`) → resize back → threshold,
 * infection clipped to the lung, then quantification.
 */
export async function segmentVolume(model: SegmentationModel, volume: CtVolumeInput, options: SegmentVolumeOptions = {}): Promise<VolumeSegmentation> {
  const { hu, rows, columns, slices } = volume;
  const plane = rows * columns;
  if (!(rows > 0 && columns > 0 && slices > 0) || hu.length !== plane * slices) {
    throw new InvalidInputError(`Segmenting a volume failed: ${hu.length} voxels do not make ${columns} x ${rows} x ${slices}`);
  }
  const c = model.contract;
  const spacing = { rowSpacingMm: volume.rowSpacingMm, columnSpacingMm: volume.columnSpacingMm, sliceSpacingMm: volume.sliceSpacingMm };
  const start = performance.now();
  const timings: SegmentVolumeTimings = { lungMs: 0, preprocessMs: 0, inferMs: 0, postprocessMs: 0, totalMs: 0 };

  options.signal?.throwIfAborted();
  options.onProgress?.({ stage: 'lung', done: 0, total: slices });
  const lungMask = computeLungMask(hu, { columns, rows, slices }, spacing, {
    ...options.lung,
    columnsIncreaseTowardPatientLeft: volume.columnsIncreaseTowardPatientLeft ?? true,
  });
  timings.lungMs = performance.now() - start;
  options.onProgress?.({ stage: 'lung', done: slices, total: slices });

  let t = performance.now();
  const frames: (PixelRect | null)[] = [];
  const todo: number[] = [];
  for (let z = 0; z < slices; z++) {
    const frame = computeLungFrame(lungMask.mask.subarray(z * plane, (z + 1) * plane), columns, rows, spacing, c);
    frames.push(frame ?? null);
    if (frame) todo.push(z);
  }
  const region = options.infectionRegion ?? 'lung';
  if (region !== 'lung' && region !== 'lung-hull') throw new InvalidInputError(`Segmenting a volume failed: unknown infectionRegion "${String(region)}"`);
  const hulls = region === 'lung-hull' ? computeLungHulls(lungMask.side, { columns, rows, slices }) : undefined;
  const allowed = hulls ?? lungMask.mask;
  const lut = buildWindowLut(c.windowCenter, c.windowWidth);
  const grey = new Uint8Array(plane);
  const s = c.inputSize;
  const inPlane = c.inputChannels * s * s;
  // Two input buffers: batch i + 1 is written while the model may still read batch i.
  const buffers = [new Float32Array(model.batchSize * inPlane), new Float32Array(model.batchSize * inPlane)] as const;
  const scratch = new Float32Array(plane);
  const infection = new Uint8Array(hu.length);
  const chunks: number[][] = [];
  for (let first = 0; first < todo.length; first += model.batchSize) chunks.push(todo.slice(first, first + model.batchSize));
  timings.preprocessMs += performance.now() - t;

  /** Windows, frames and resizes the slices of chunk i into buffer i % 2. */
  const prepare = (i: number): Float32Array => {
    const started = performance.now();
    const batch = buffers[i % 2];
    chunks[i]!.forEach((z, k) => {
      // Only the frame's rows are windowed: the resize reads nothing else.
      const f = frames[z]!;
      const rowsStart = f.y * columns;
      const rowsEnd = (f.y + f.height) * columns;
      windowToUint8(hu.subarray(z * plane + rowsStart, z * plane + rowsEnd), c.windowCenter, c.windowWidth, grey.subarray(rowsStart, rowsEnd), lut);
      writeModelInput(grey, columns, f, batch, k, s, c.inputChannels);
    });
    timings.preprocessMs += performance.now() - started;
    return batch.subarray(0, chunks[i]!.length * inPlane);
  };
  const predict = (i: number, input: Float32Array): Promise<Float32Array> => {
    const running = model.predict(input, chunks[i]!.length);
    // Marks the rejection handled if we stop before awaiting it (abort, or a failing prepare); an
    // await below still receives the error.
    running.catch(() => undefined);
    return running;
  };

  options.onProgress?.({ stage: 'segment', done: 0, total: todo.length });
  // Pipelined: while the model runs chunk i (in its worker thread when the model was loaded with
  // thread 'worker'), this thread prepares chunk i + 1; chunk i + 1 is submitted as soon as chunk i
  // returns, and chunk i is post-processed while it runs. So the model does not wait for JavaScript
  // between chunks. With thread 'main' the order is in effect serial.
  let running = chunks.length > 0 ? predict(0, prepare(0)) : undefined;
  for (let i = 0; i < chunks.length; i++) {
    options.signal?.throwIfAborted();
    const next = i + 1 < chunks.length ? prepare(i + 1) : undefined;
    t = performance.now();
    const prob = await running!;
    timings.inferMs += performance.now() - t;
    running = next ? predict(i + 1, next) : undefined;

    t = performance.now();
    chunks[i]!.forEach((z, k) => {
      const range = [z * plane, (z + 1) * plane] as const;
      placeProbability(prob.subarray(k * s * s, (k + 1) * s * s), s, frames[z]!, c.threshold, scratch, infection.subarray(...range), columns, allowed.subarray(...range));
    });
    timings.postprocessMs += performance.now() - t;
    options.onProgress?.({ stage: 'segment', done: Math.min((i + 1) * model.batchSize, todo.length), total: todo.length });
  }

  if (hulls) {
    // Infection inside a lung's hull is lung too (consolidated lung), on that hull's side.
    t = performance.now();
    for (let i = 0; i < infection.length; i++) {
      if (infection[i] !== 0 && lungMask.mask[i] === 0) {
        lungMask.mask[i] = 1;
        lungMask.side[i] = hulls[i]!;
      }
    }
    timings.postprocessMs += performance.now() - t;
  }
  if (c.minComponentMl > 0) {
    t = performance.now();
    const voxelMl = (spacing.rowSpacingMm * spacing.columnSpacingMm * spacing.sliceSpacingMm) / 1000;
    removeComponentsSmallerThan3d(infection, columns, rows, Math.ceil(c.minComponentMl / voxelMl));
    timings.postprocessMs += performance.now() - t;
  }
  const quantification = quantify(infection, lungMask.mask, spacing, lungMask.side);
  timings.totalMs = performance.now() - start;
  return { infection, lung: lungMask.mask, lungSide: lungMask.side, quantification, timings, frames, slicesInferred: todo.length };
}
