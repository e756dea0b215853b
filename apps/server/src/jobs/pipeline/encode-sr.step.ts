import { CtVolume, MeasurementGroupInput, MeasurementReportResult, PredecessorDocument, SegmentCodes, SrCodes, writeMeasurementReport } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';
import { JobQuantification, RegionQuantificationResult } from './job-result';
import { modelProvenance } from './result-provenance';
import { SR_SERIES_NUMBER, seriesNumberOfRun, srSeriesDescription } from './result-series';

/** SEG segment numbers (encode-seg.step.ts writes infection first, lung second). */
const INFECTION_SEGMENT = 1;
const LUNG_SEGMENT = 2;

/**
 * The TID 1500 measurement report of a job: per region (both lungs, then right and left where the job
 * has them) one infection group (volume, % involved) and one lung group (volume), all referencing the
 * job's SEG. Figures are the job's rounded ones, so the SR and the job result agree to the digit.
 */
export function encodeSr(
  volume: CtVolume,
  seg: { seriesInstanceUID: string; sopInstanceUID: string },
  quantification: JobQuantification,
  model: SegmentationModel,
  run = 1,
  predecessors: readonly PredecessorDocument[] = [],
): MeasurementReportResult {
  return writeMeasurementReport({
    header: volume.header,
    sourceSlices: volume.slices,
    seg,
    groups: measurementGroups(quantification),
    algorithm: { name: model.name, version: model.version },
    provenance: modelProvenance(model),
    seriesNumber: seriesNumberOfRun(SR_SERIES_NUMBER, run),
    seriesDescription: srSeriesDescription(model.name, model.version, run),
    predecessors,
  });
}

const REGIONS = [
  { key: undefined, site: SrCodes.lung, suffix: '' },
  { key: 'right', site: SrCodes.rightLung, suffix: ', right lung' },
  { key: 'left', site: SrCodes.leftLung, suffix: ', left lung' },
] as const;

export function measurementGroups(q: JobQuantification): MeasurementGroupInput[] {
  const groups: MeasurementGroupInput[] = [];
  for (const { key, site, suffix } of REGIONS) {
    const region: RegionQuantificationResult | undefined = key ? q[key] : q;
    if (!region) continue;
    groups.push(
      { trackingIdentifier: `Infection${suffix}`, segmentNumber: INFECTION_SEGMENT, finding: SegmentCodes.lesion, findingSite: site, volumeMl: region.infectionVolumeMl, involvementPercent: region.involvementPercent },
      { trackingIdentifier: `Lung${suffix}`, segmentNumber: LUNG_SEGMENT, finding: SegmentCodes.lung, findingSite: site, volumeMl: region.lungVolumeMl },
    );
  }
  return groups;
}
