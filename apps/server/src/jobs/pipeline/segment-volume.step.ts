import { CtVolume } from '@covseg/dicom';
import { CtVolumeInput, SegmentationModel, SegmentVolumeProgress, VolumeSegmentation, segmentVolume } from '@covseg/segmentation';
import { HeldVolume, voxelsOf } from './held-volume';

/**
 * From this many voxels on (384 slices of 512²), a job frees the model's arena (~100 MB at batch 4) once
 * its last batch is done: the job's memory peaks after inference (component filter, quantification, SEG
 * encode hold the HU, the lung labels and the infection, ~1 MB per slice), and peak RSS grows ~1.2 MB per
 * slice from ~420 MB (docs/PERFORMANCE.md), so past ~400 slices the arena is what takes it toward 1 GB.
 * Below it the arena stays: the next job would pay ~1 s to fault it in again (this VM takes ~10 ms per
 * fresh MB), for memory a smaller series does not need. Since jobs let go of the HU after the last batch
 * (held-volume.ts), a 600-slice job peaks during inference instead (docs/PERFORMANCE.md, fifth round), so
 * this release no longer sets that peak; it still lowers what the server holds after the job.
 */
export const RELEASE_MODEL_MEMORY_FROM_VOXELS = 384 * 512 * 512;

/** Whether a job on this volume frees the model's working memory after its last batch (see RELEASE_MODEL_MEMORY_FROM_VOXELS). */
export function releasesModelMemory(volume: Pick<CtVolume, 'geometry'>): boolean {
  return voxelsOf(volume) >= RELEASE_MODEL_MEMORY_FROM_VOXELS;
}

/**
 * What a job's segmentation reports as it goes: on the main thread these are the JobContext's own
 * methods; in the segmentation thread (build-result.worker.ts) they become messages to it.
 */
export interface SegmentationReporter {
  /** Throws the abort reason once the job is aborted (cancel, timeout, shutdown). */
  checkpoint(): void;
  setStage(stage: 'preprocess' | 'infer' | 'segEncode'): void;
  progress(slicesDone: number, slicesTotal: number): void;
  addTiming(stage: 'preprocess' | 'infer' | 'postprocess' | 'segEncode', ms: number): void;
}

/**
 * Runs the U-Net over the volume (docs/CONTRACTS.md §1). The library times its own stages; the lung
 * mask counts as preprocessing. Progress is reported per batch, and an abort is honoured between
 * batches by throwing from the progress callback. `onHuDone` runs as soon as the HU are never read
 * again (segmentVolume's onHuDone): the caller may release `volume.hu` there.
 */
export async function segmentCtVolume(model: SegmentationModel, volume: HeldVolume, report: SegmentationReporter, onHuDone?: () => void): Promise<VolumeSegmentation> {
  const { geometry } = volume;
  report.checkpoint();
  report.setStage('preprocess');
  let stage: SegmentVolumeProgress['stage'] = 'lung';
  const result = await segmentVolume(model, heldInputOf(volume), {
    releaseModelMemory: releasesModelMemory(volume),
    ...(onHuDone ? { onHuDone } : {}),
    onProgress: (progress) => {
      report.checkpoint();
      if (progress.stage !== stage) {
        stage = progress.stage;
        report.setStage('infer');
      }
      // 'segment' counts every slice, those that skip the model for too little lung (CONTRACTS §1) included.
      if (progress.stage === 'segment') report.progress(progress.done, geometry.slices);
    },
  });
  report.addTiming('preprocess', result.timings.lungMs + result.timings.preprocessMs);
  report.addTiming('infer', result.timings.inferMs);
  report.addTiming('postprocess', result.timings.postprocessMs);
  report.progress(geometry.slices, geometry.slices);
  return result;
}

/**
 * The DICOM volume as libs/segmentation sees it (typed arrays and geometry, no DICOM): the HU buffer is
 * shared, not copied. Every caller that segments or frames a CtVolume goes through here, so the export
 * of corrections frames slices exactly as jobs do.
 */
export function segmentationInputOf(volume: CtVolume): CtVolumeInput {
  return { hu: volume.hu, ...geometryInputOf(volume) };
}

/**
 * segmentationInputOf for a job's held volume: `hu` is read through the handle, so a read after the job
 * released it fails (HuReleasedError) instead of reading HU that may be gone; the object keeps no
 * reference of its own to them.
 */
function heldInputOf(volume: HeldVolume): CtVolumeInput {
  return {
    get hu() {
      return volume.hu.get('segmentation');
    },
    ...geometryInputOf(volume),
  };
}

function geometryInputOf(volume: Pick<CtVolume, 'geometry'>): Omit<CtVolumeInput, 'hu'> {
  const { geometry } = volume;
  return {
    rows: geometry.rows,
    columns: geometry.columns,
    slices: geometry.slices,
    rowSpacingMm: geometry.rowSpacingMm,
    columnSpacingMm: geometry.columnSpacingMm,
    sliceSpacingMm: geometry.sliceSpacingMm,
    // LPS: a row direction with positive x means columns run toward the patient's left.
    columnsIncreaseTowardPatientLeft: geometry.rowDirection[0] >= 0,
    // Slices are sorted along the normal; +z in LPS is superior, so a normal with +z runs feet to head.
    slicesIncreaseTowardHead: geometry.normal[2] >= 0,
    // +y in LPS is posterior: rows run toward the patient's back when the column direction has +y.
    rowsIncreaseTowardPosterior: geometry.columnDirection[1] >= 0,
  };
}
