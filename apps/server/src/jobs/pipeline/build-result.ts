import { MeasurementReportResult, PredecessorDocument, SegWriteResult } from '@covseg/dicom';
import { RegionQuantification, SegmentationModel, VolumeSegmentation } from '@covseg/segmentation';
import { performance } from 'node:perf_hooks';
import { encodeSeg } from './encode-seg.step';
import { HeldVolume, releaseHu } from './held-volume';
import { encodeSr } from './encode-sr.step';
import { JobQuantification, RegionQuantificationResult } from './job-result';
import { KeyImage, renderKeyImages } from './key-images.step';
import { modelProvenance } from './result-provenance';
import { SegmentationReporter, segmentCtVolume } from './segment-volume.step';

/** What a new run's result needs besides the volume and the model. */
export interface ResultBuildOptions {
  /** 1 for a first result, more for a forced re-run (jobs/result-series.ts). */
  run: number;
  /** The reports this run supersedes (the SR's Predecessor Documents). */
  predecessors: PredecessorDocument[];
  withKeyImages: boolean;
}

/** The encoded objects of a new run and its figures; the masks are gone by then. */
export interface BuiltResult {
  seg: SegWriteResult;
  sr: MeasurementReportResult;
  keyImages: KeyImage[];
  quantification: JobQuantification;
  slices: number;
  slicesInferred: number;
}

/**
 * Segment, quantify and encode (SEG, key images, SR): every CPU-heavy step of a job after the volume
 * is built. The same function runs in a job's segmentation thread (build-result.worker.ts, the
 * default) and, with ORT_INFERENCE_THREAD=main, on the calling thread.
 *
 * Memory: `volume.hu` is released as soon as its last reader is done: the last batch prepared, or with
 * key images once they are rendered (they are drawn from the HU, so they come before the SEG); a large
 * volume's HU are then collected at once (collectsGarbage), so that postprocessing and the SEG encode
 * run without them. A step that read them after that would fail the job with HuReleasedError.
 * @param volume its HU handle is released here; the masks are not kept.
 */
export async function buildSegmentationResult(model: SegmentationModel, volume: HeldVolume, options: ResultBuildOptions, report: SegmentationReporter): Promise<BuiltResult> {
  const segmentation = await segmentCtVolume(model, volume, report, options.withKeyImages ? undefined : () => releaseHu(volume));
  const quantification = toQuantification(segmentation);
  report.checkpoint();
  report.setStage('segEncode');
  const started = performance.now();
  const keyImages = options.withKeyImages ? await keyImagesOf(volume, segmentation, quantification, model, options.run) : [];
  if (!volume.hu.released) releaseHu(volume);
  const seg = encodeSeg(volume, segmentation, model, options.run);
  const sr = encodeSr(volume, seg, quantification, model, options.run, options.predecessors);
  report.addTiming('segEncode', performance.now() - started);
  return { seg, sr, keyImages, quantification, slices: volume.geometry.slices, slicesInferred: segmentation.slicesInferred };
}

/** The key images, drawn from the HU; its own function, so that no temporary of the caller holds them. */
async function keyImagesOf(volume: HeldVolume, segmentation: VolumeSegmentation, quantification: JobQuantification, model: SegmentationModel, run: number): Promise<KeyImage[]> {
  return renderKeyImages({ ...volume, hu: volume.hu.get('key images') }, segmentation, quantification, model, modelProvenance(model), run);
}

/** The job's figures, rounded to 0.001 (mL, %): the SR and the job result agree to the digit. */
export function toQuantification(segmentation: VolumeSegmentation): JobQuantification {
  const q = segmentation.quantification;
  const region = (r: RegionQuantification): RegionQuantificationResult => ({
    infectionVolumeMl: round(r.infectionMl),
    lungVolumeMl: round(r.lungMl),
    involvementPercent: round(r.percentInvolved),
    ...(r.classes
      ? {
          classes: {
            ggo: { volumeMl: round(r.classes.ggo.volumeMl), involvementPercent: round(r.classes.ggo.percentInvolved) },
            consolidation: { volumeMl: round(r.classes.consolidation.volumeMl), involvementPercent: round(r.classes.consolidation.percentInvolved) },
          },
        }
      : {}),
  });
  return { ...region(q), ...(q.right ? { right: region(q.right) } : {}), ...(q.left ? { left: region(q.left) } : {}) };
}

const round = (value: number) => Math.round(value * 1000) / 1000;
