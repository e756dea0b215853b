import { CtVolume, DefaultSegmentColors, SegWriteResult, SegmentCodes, writeBinarySeg } from '@covseg/dicom';
import { INFECTION_LABEL_CONSOLIDATION, INFECTION_LABEL_GGO, SegmentationModel, VolumeSegmentation } from '@covseg/segmentation';
import { modelProvenance } from './result-provenance';
import { SEG_SERIES_NUMBER, segSeriesDescription, seriesNumberOfRun } from './result-series';

/**
 * Segment 1 is the infection, segment 2 the lung (docs/CONTRACTS.md: the viewer relies on this order).
 * A multi-class model adds segment 3, ground-glass opacity, and 4, consolidation; segment 1 stays their
 * union, because the SR's infection volume (TID 1411) references exactly one segment, and so that every
 * reader of segments 1 and 2 (overlays, corrections, older viewers) keeps reading the same thing.
 */
export const INFECTION_SEGMENT_LABEL = 'COVID-19 infection';
export const LUNG_SEGMENT_LABEL = 'Lung';
export const GGO_SEGMENT_LABEL = 'Ground-glass opacity';
export const CONSOLIDATION_SEGMENT_LABEL = 'Consolidation';
export const INFECTION_SEGMENT = 1;
export const LUNG_SEGMENT = 2;
export const GGO_SEGMENT = 3;
export const CONSOLIDATION_SEGMENT = 4;
/** ContentDescription (LO) tells an untrained model's SEG apart; the viewer and the idempotency check read it. */
export const UNTRAINED_CONTENT_DESCRIPTION = 'UNTRAINED MODEL: not for any use';
export const TRAINED_CONTENT_DESCRIPTION = 'COVID-19 infection and lung, automatic';

/**
 * Builds the binary DICOM SEG (PS3.3 A.51) of both masks, one frame per source slice and segment,
 * referencing every source slice. SeriesDescription names the model and version: the idempotency
 * check on the PACS finds our earlier SEGs by it. `run` > 1 is a forced re-run (jobs/result-series.ts).
 * @param segmentation masks slice-major in volume order (as segmentVolume returns them); only read.
 */
export function encodeSeg(volume: Pick<CtVolume, 'slices' | 'header'>, segmentation: VolumeSegmentation, model: SegmentationModel, run = 1): SegWriteResult {
  return writeBinarySeg({
    sourceSlices: volume.slices,
    header: volume.header,
    algorithm: { name: model.name, version: model.version },
    provenance: modelProvenance(model),
    seriesDescription: segSeriesDescription(model.name, model.version, run),
    seriesNumber: seriesNumberOfRun(SEG_SERIES_NUMBER, run),
    contentLabel: 'COVSEG',
    contentDescription: model.trained ? TRAINED_CONTENT_DESCRIPTION : UNTRAINED_CONTENT_DESCRIPTION,
    contentCreatorName: 'covseg^automatic',
    segments: [
      {
        label: INFECTION_SEGMENT_LABEL,
        category: SegmentCodes.morphologicallyAbnormalStructure,
        type: SegmentCodes.lesion,
        anatomicRegion: SegmentCodes.lung,
        recommendedDisplayRgb: DefaultSegmentColors.infection,
        labelmap: segmentation.infection,
        // Multi-class labels 1 GGO / 2 consolidation: any non-zero label is infection.
        ...(segmentation.multiClass ? { labelmapValues: 'non-zero' as const } : {}),
      },
      {
        label: LUNG_SEGMENT_LABEL,
        category: SegmentCodes.anatomicalStructure,
        type: SegmentCodes.lung,
        recommendedDisplayRgb: DefaultSegmentColors.lung,
        // The lung side labels (1 right, 2 left): non-zero is lung.
        labelmap: segmentation.lungSide,
        labelmapValues: 'non-zero',
      },
      ...(segmentation.multiClass
        ? [
            {
              label: GGO_SEGMENT_LABEL,
              category: SegmentCodes.morphologicallyAbnormalStructure,
              type: SegmentCodes.groundGlassOpacity,
              anatomicRegion: SegmentCodes.lung,
              recommendedDisplayRgb: DefaultSegmentColors.groundGlassOpacity,
              labelmap: segmentation.infection,
              labelmapValues: { equals: INFECTION_LABEL_GGO },
            },
            {
              label: CONSOLIDATION_SEGMENT_LABEL,
              category: SegmentCodes.morphologicallyAbnormalStructure,
              type: SegmentCodes.consolidation,
              anatomicRegion: SegmentCodes.lung,
              recommendedDisplayRgb: DefaultSegmentColors.consolidation,
              labelmap: segmentation.infection,
              labelmapValues: { equals: INFECTION_LABEL_CONSOLIDATION },
            },
          ]
        : []),
    ],
  });
}
