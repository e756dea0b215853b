import { CtVolume, MeasurementGroupInput, MeasurementReportResult, PredecessorDocument, SegmentCodes, SrCodes, writeMeasurementReport } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';
import { JobQuantification, RegionQuantificationResult } from './job-result';
import { modelProvenance } from './result-provenance';
import { SR_SERIES_NUMBER, seriesNumberOfRun, srSeriesDescription } from './result-series';

import { CONSOLIDATION_SEGMENT, GGO_SEGMENT, INFECTION_SEGMENT, LUNG_SEGMENT } from './encode-seg.step';

/**
 * The TID 1500 measurement report of a job: per region (both lungs, then right and left where the job
 * has them) one infection group (volume, % involved) and one lung group (volume), plus for a multi-class
 * model one ground-glass opacity and one consolidation group (volume, % involved), all referencing the
 * job's SEG. Figures are the job's rounded ones, so the SR and the job result agree to the digit.
 */
export function encodeSr(
  volume: Pick<CtVolume, 'slices' | 'header'>,
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
    // Multi-class: each class of the site measures its own segment; the Infection group stays the union.
    if (region.classes) {
      const { ggo, consolidation } = region.classes;
      groups.push(
        { trackingIdentifier: `Ground-glass opacity${suffix}`, segmentNumber: GGO_SEGMENT, finding: SegmentCodes.groundGlassOpacity, findingSite: site, volumeMl: ggo.volumeMl, involvementPercent: ggo.involvementPercent },
        { trackingIdentifier: `Consolidation${suffix}`, segmentNumber: CONSOLIDATION_SEGMENT, finding: SegmentCodes.consolidation, findingSite: site, volumeMl: consolidation.volumeMl, involvementPercent: consolidation.involvementPercent },
      );
    }
  }
  return groups;
}
