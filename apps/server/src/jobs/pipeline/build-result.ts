import { CtVolume, MeasurementReportResult, PredecessorDocument, SegWriteResult } from '@covseg/dicom';
import { RegionQuantification, SegmentationModel, VolumeSegmentation } from '@covseg/segmentation';
import { performance } from 'node:perf_hooks';
import { encodeSeg } from './encode-seg.step';
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
 * @param volume only read; its HU and the masks are not kept.
 */
export async function buildSegmentationResult(model: SegmentationModel, volume: CtVolume, options: ResultBuildOptions, report: SegmentationReporter): Promise<BuiltResult> {
  const segmentation = await segmentCtVolume(model, volume, report);
  const quantification = toQuantification(segmentation);
  report.checkpoint();
  report.setStage('segEncode');
  const started = performance.now();
  const seg = encodeSeg(volume, segmentation, model, options.run);
  const keyImages = options.withKeyImages ? await renderKeyImages(volume, segmentation, quantification, model, modelProvenance(model), options.run) : [];
  const sr = encodeSr(volume, seg, quantification, model, options.run, options.predecessors);
  report.addTiming('segEncode', performance.now() - started);
  return { seg, sr, keyImages, quantification, slices: volume.geometry.slices, slicesInferred: segmentation.slicesInferred };
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
