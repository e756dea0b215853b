import { performance } from 'node:perf_hooks';
import { InvalidInputError } from '../errors';
import type { ModelOutputs, SegmentationModel } from '../inference/segmentation-model';
import { computeLungHulls } from '../lung/lung-hull';
import { removeUnionComponentsSmallerThan3d } from '../lung/labelled-components-3d';
import { type LungMaskInProgress, type LungMaskOptions, startLungMask } from '../lung/lung-mask';
import { placeProbability } from '../postprocess/place-probability';
import { computeLungFrame } from '../preprocess/frame';
import { writeModelInput } from '../preprocess/model-input';
import type { PixelRect } from '../preprocess/resize';
import { buildWindowLut, windowToUint8 } from '../preprocess/window';
import { type Quantification, quantify } from '../quantify/quantify';

/** A CT volume as typed arrays plus geometry (no DICOM). */
export interface CtVolumeInput {
  /**
   * HU, slice-major: `z * rows * columns + y * columns + x`. Not modified, not retained; read once, when
   * segmentVolume starts (a getter that throws once the caller let go of the HU shows a late read).
   */
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
  /** True (default) when increasing slice index points toward the head (a slice normal with +z in LPS); the airway tree is traced from the head end. */
  slicesIncreaseTowardHead?: boolean;
  /** True (default) when increasing row points to the patient's back (column direction +y in LPS). */
  rowsIncreaseTowardPosterior?: boolean;
}

export interface SegmentVolumeProgress {
  stage: 'lung' | 'segment';
  /**
   * Slices done in this stage, and the total (all slices). 'lung' is the 3-D part of the lung mask;
   * 'segment' counts slices settled in z order: run through the model, or skipped for too little lung.
   */
  done: number;
  total: number;
}

export interface SegmentVolumeOptions {
  onProgress?: (progress: SegmentVolumeProgress) => void;
  lung?: Omit<LungMaskOptions, 'columnsIncreaseTowardPatientLeft' | 'slicesIncreaseTowardHead' | 'rowsIncreaseTowardPosterior'>;
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
  /**
   * Frees the model's working memory (SegmentationModel.releaseWorkingMemory) as soon as the last batch
   * returns, while this thread post-processes. For a large volume the memory peaks after inference (the
   * component filter and quantification here, then a caller's SEG encode, read every mask), when the
   * arena's ~100 MB are no longer needed; the model's next run allocates them again. Default false.
   */
  releaseModelMemory?: boolean;
  /**
   * Called once, as soon as the HU are never read again: every slice's lung mask is finished and the last
   * batch is prepared (it may still be in the model). segmentVolume then holds no reference to them, so a
   * caller that drops its own can have them freed before postprocessing: on a large volume they are the
   * biggest array alive (600 slices of 512² are 315 MB), and the component filter and quantification then
   * make every page of the infection mask resident.
   */
  onHuDone?: () => void;
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
  /**
   * Infection labels, slice-major like `hu`: 0 none, 1 infection (binary model) or ground-glass opacity
   * (multi-class model), 2 consolidation (multi-class only); non-zero is infection either way. Always
   * inside the lung (which grows by it with 'lung-hull'). Caller owns it.
   */
  infection: Uint8Array;
  /** True when `infection` carries classes (the model's contract has `covseg.classes`). */
  multiClass: boolean;
  /**
   * The lung labels, slice-major: 0 none, 1 patient right lung, 2 patient left lung; the lung is
   * `lungSide !== 0`. One array for mask and side (no 0/1 copy: 157 MB at 600 slices of 512²); the SEG
   * writer takes it as is (`labelmapValues: 'non-zero'`). Caller owns it.
   */
  lungSide: Uint8Array;
  quantification: Quantification;
  timings: SegmentVolumeTimings;
  /** Per slice: the model frame (pixels), or null when the slice had too little lung to run. */
  frames: (PixelRect | null)[];
  /** How many slices went through the model. */
  slicesInferred: number;
}

/** Starts freeing the model's arena; a failure is reported where it is awaited, not as an unhandled rejection. */
function releaseModelMemory(model: SegmentationModel): Promise<void> {
  const releasing = model.releaseWorkingMemory();
  releasing.catch(() => undefined);
  return releasing;
}

/**
 * The whole DICOM-path pipeline of docs/CONTRACTS.md §1 on one volume: lung mask, per-slice
 * window → lung frame → resize → model (in batches of `model.batchSize`) → resize back → threshold,
 * infection clipped to the lung, then quantification. A multi-class model's infection pixels are
 * labelled 1 GGO / 2 consolidation as they are placed; the 3-D speck filter then judges the union.
 */
export async function segmentVolume(model: SegmentationModel, volume: CtVolumeInput, options: SegmentVolumeOptions = {}): Promise<VolumeSegmentation> {
  const { rows, columns, slices } = volume;
  // The only references to the HU here: both are dropped once they are done (huDone below), and nothing
  // else (no closure, no view kept) may hold them, or onHuDone would free nothing.
  let hu: Int16Array | undefined = volume.hu;
  const plane = rows * columns;
  if (!(rows > 0 && columns > 0 && slices > 0) || hu.length !== plane * slices) {
    throw new InvalidInputError(`Segmenting a volume failed: ${hu.length} voxels do not make ${columns} x ${rows} x ${slices}`);
  }
  const voxels = hu.length;
  const c = model.contract;
  const spacing = { rowSpacingMm: volume.rowSpacingMm, columnSpacingMm: volume.columnSpacingMm, sliceSpacingMm: volume.sliceSpacingMm };
  const start = performance.now();
  const timings: SegmentVolumeTimings = { lungMs: 0, preprocessMs: 0, inferMs: 0, postprocessMs: 0, totalMs: 0 };

  const region = options.infectionRegion ?? 'lung';
  if (region !== 'lung' && region !== 'lung-hull') throw new InvalidInputError(`Segmenting a volume failed: unknown infectionRegion "${String(region)}"`);
  options.signal?.throwIfAborted();
  options.onProgress?.({ stage: 'lung', done: 0, total: slices });
  let lungMask: LungMaskInProgress | undefined = startLungMask(hu, { columns, rows, slices }, spacing, {
    ...options.lung,
    columnsIncreaseTowardPatientLeft: volume.columnsIncreaseTowardPatientLeft ?? true,
    slicesIncreaseTowardHead: volume.slicesIncreaseTowardHead ?? true,
    rowsIncreaseTowardPosterior: volume.rowsIncreaseTowardPosterior ?? true,
  });
  // The hulls need every slice's final side map; the default region streams slices instead (below).
  const side = lungMask.side;
  let finished = 0;
  if (region === 'lung-hull') for (; finished < slices; finished++) lungMask.finishSlice(finished);
  const hulls = region === 'lung-hull' ? computeLungHulls(side, { columns, rows, slices }) : undefined;
  // Non-zero is lung in both: the side labels are the lung mask.
  const allowed = hulls ?? side;
  timings.lungMs = performance.now() - start;
  options.onProgress?.({ stage: 'lung', done: slices, total: slices });

  let t = performance.now();
  const frames: (PixelRect | null)[] = new Array<PixelRect | null>(slices).fill(null);
  let framed = 0;
  const lut = buildWindowLut(c.windowCenter, c.windowWidth);
  const grey = new Uint8Array(plane);
  const s = c.inputSize;
  const inPlane = c.inputChannels * s * s;
  // Two input buffers: chunk i + 1 is written while the model may still read chunk i.
  const buffers = [new Float32Array(model.batchSize * inPlane), new Float32Array(model.batchSize * inPlane)] as const;
  const scratch = new Float32Array(plane);
  const infection = new Uint8Array(voxels);
  timings.preprocessMs += performance.now() - t;
  /** Once every slice is finished and framed and the last batch prepared: the HU and the lung mask's hold on them go. */
  const huDone = () => {
    if (hu === undefined || framed < slices) return;
    hu = undefined;
    lungMask = undefined;
    options.onHuDone?.();
  };

  /**
   * The next `batchSize` slices with enough lung, in z order (the same chunks as framing every slice
   * first): finishes their lung mask slices just in time, and frames them.
   */
  const nextChunk = (): number[] => {
    const chunk: number[] = [];
    while (chunk.length < model.batchSize && framed < slices) {
      const z = framed++;
      let started = performance.now();
      if (z >= finished) {
        lungMask!.finishSlice(z);
        finished = z + 1;
      }
      timings.lungMs += performance.now() - started;
      started = performance.now();
      const frame = computeLungFrame(side.subarray(z * plane, (z + 1) * plane), columns, rows, spacing, c);
      timings.preprocessMs += performance.now() - started;
      frames[z] = frame ?? null;
      if (frame) chunk.push(z);
    }
    return chunk;
  };
  /** Windows, frames and resizes the slices of a chunk into buffer `index` % 2. */
  const prepare = (chunk: number[], index: number): Float32Array => {
    const started = performance.now();
    const batch = buffers[index % 2];
    chunk.forEach((z, k) => {
      // Only the frame's rows are windowed: the resize reads nothing else.
      const f = frames[z]!;
      const rowsStart = f.y * columns;
      const rowsEnd = (f.y + f.height) * columns;
      windowToUint8(hu!.subarray(z * plane + rowsStart, z * plane + rowsEnd), c.windowCenter, c.windowWidth, grey.subarray(rowsStart, rowsEnd), lut);
      writeModelInput(grey, columns, f, batch, k, s, c.inputChannels);
    });
    timings.preprocessMs += performance.now() - started;
    return batch.subarray(0, chunk.length * inPlane);
  };
  const predict = (chunk: number[], input: Float32Array): Promise<ModelOutputs> => {
    const running = model.predictOutputs(input, chunk.length);
    // Marks the rejection handled if we stop before awaiting it (abort, or a failing prepare); an
    // await below still receives the error.
    running.catch(() => undefined);
    return running;
  };

  // Pipelined: while the model runs chunk i (in its worker thread when the model was loaded with
  // thread 'worker'), this thread finishes the lung mask of chunk i + 1's slices and prepares it;
  // chunk i + 1 is submitted as soon as chunk i returns, and chunk i is post-processed while it runs.
  // So the model does not wait for JavaScript between chunks. With thread 'main' the order is in
  // effect serial. Progress counts slices settled in z order, those skipped for too little lung included.
  options.onProgress?.({ stage: 'segment', done: 0, total: slices });
  let slicesInferred = 0;
  let releasing: Promise<void> | undefined;
  let current = nextChunk();
  let running = current.length > 0 ? predict(current, prepare(current, 0)) : undefined;
  huDone();
  for (let i = 0; running; i++) {
    options.signal?.throwIfAborted();
    const next = nextChunk();
    const input = next.length > 0 ? prepare(next, i + 1) : undefined;
    huDone();
    t = performance.now();
    const { prob, consolidation } = await running;
    timings.inferMs += performance.now() - t;
    running = input ? predict(next, input) : undefined;
    if (!running && options.releaseModelMemory) releasing = releaseModelMemory(model);

    t = performance.now();
    current.forEach((z, k) => {
      const range = [z * plane, (z + 1) * plane] as const;
      const planeRange = [k * s * s, (k + 1) * s * s] as const;
      const classes = consolidation ? { prob: consolidation.subarray(...planeRange), threshold: c.consolidationThreshold! } : undefined;
      // `infection` is fresh and each slice is placed once: only infection pixels are written (maskIsZero).
      placeProbability(prob.subarray(...planeRange), s, frames[z]!, c.threshold, scratch, infection.subarray(...range), columns, allowed.subarray(...range), classes, true);
    });
    timings.postprocessMs += performance.now() - t;
    slicesInferred += current.length;
    options.onProgress?.({ stage: 'segment', done: running ? current.at(-1)! + 1 : slices, total: slices });
    current = next;
  }
  // No slice had enough lung: every slice is settled without the model.
  if (slicesInferred === 0) options.onProgress?.({ stage: 'segment', done: slices, total: slices });
  huDone();

  if (hulls) {
    // Infection inside a lung's hull is lung too (consolidated lung), on that hull's side.
    t = performance.now();
    for (let i = 0; i < infection.length; i++) {
      if (infection[i] !== 0 && side[i] === 0) side[i] = hulls[i]!;
    }
    timings.postprocessMs += performance.now() - t;
  }
  if (c.minComponentMl > 0) {
    t = performance.now();
    const voxelMl = (spacing.rowSpacingMm * spacing.columnSpacingMm * spacing.sliceSpacingMm) / 1000;
    const minVoxels = Math.ceil(c.minComponentMl / voxelMl);
    // Components of the union (GGO and consolidation of one lesion together), labels kept; a binary
    // model's 0/1 mask is its own union.
    removeUnionComponentsSmallerThan3d(infection, columns, rows, minVoxels);
    timings.postprocessMs += performance.now() - t;
  }
  const quantification = quantify(infection, side, spacing, side, { classes: model.multiClass });
  await releasing;
  timings.totalMs = performance.now() - start;
  return { infection, multiClass: model.multiClass, lungSide: side, quantification, timings, frames, slicesInferred };
}
