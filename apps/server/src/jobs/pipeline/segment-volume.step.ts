import { CtVolume } from '@covseg/dicom';
import { CtVolumeInput, SegmentVolumeProgress, VolumeSegmentation, segmentVolume } from '@covseg/segmentation';
import { JobContext } from './job-context';

/**
 * From this many voxels on (384 slices of 512²), a job frees the model's arena (~100 MB at batch 4) once
 * its last batch is done: the job's memory peaks after inference (component filter, quantification, SEG
 * encode hold the HU, the lung labels and the infection, ~1 MB per slice), and peak RSS grows ~1.2 MB per
 * slice from ~420 MB (docs/PERFORMANCE.md), so past ~400 slices the arena is what takes it toward 1 GB.
 * Below it the arena stays: the next job would pay ~1 s to fault it in again (this VM takes ~10 ms per
 * fresh MB), for memory a smaller series does not need.
 */
export const RELEASE_MODEL_MEMORY_FROM_VOXELS = 384 * 512 * 512;

/** Whether a job on this volume frees the model's working memory after its last batch (see RELEASE_MODEL_MEMORY_FROM_VOXELS). */
export function releasesModelMemory(volume: CtVolume): boolean {
  return volume.hu.length >= RELEASE_MODEL_MEMORY_FROM_VOXELS;
}

/**
 * Runs the U-Net over the volume (docs/CONTRACTS.md §1). The library times its own stages; the lung
 * mask counts as preprocessing. Progress is written per batch, and the abort signal is honoured between
 * batches by throwing from the progress callback.
 */
export async function segmentCtVolume(context: JobContext, volume: CtVolume): Promise<VolumeSegmentation> {
  const { geometry } = volume;
  context.checkpoint();
  context.setStage('preprocess');
  let stage: SegmentVolumeProgress['stage'] = 'lung';
  const result = await segmentVolume(
    context.model,
    segmentationInputOf(volume),
    {
      releaseModelMemory: releasesModelMemory(volume),
      onProgress: (progress) => {
        context.checkpoint();
        if (progress.stage !== stage) {
          stage = progress.stage;
          context.setStage('infer');
        }
        // 'segment' counts every slice, those that skip the model for too little lung (CONTRACTS §1) included.
        if (progress.stage === 'segment') context.progress(progress.done, geometry.slices);
      },
    },
  );
  context.addTiming('preprocess', result.timings.lungMs + result.timings.preprocessMs);
  context.addTiming('infer', result.timings.inferMs);
  context.addTiming('postprocess', result.timings.postprocessMs);
  context.progress(geometry.slices, geometry.slices);
  return result;
}

/**
 * The DICOM volume as libs/segmentation sees it (typed arrays and geometry, no DICOM): the HU buffer is
 * shared, not copied. Every caller that segments or frames a CtVolume goes through here, so the export
 * of corrections frames slices exactly as jobs do.
 */
export function segmentationInputOf(volume: CtVolume): CtVolumeInput {
  const { geometry } = volume;
  return {
    hu: volume.hu,
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
