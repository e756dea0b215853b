import type { DicomDataset } from '../parsing/dicom-dataset';
import type { DicomInstance } from '../parsing/dicom-instance';
import { FrameSlice } from './frame-slice';
import { reject } from './slice-geometry';

/** CT Image Storage (PS3.4 B.5): single-frame by its IOD (PS3.3 A.3). */
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
/** Enhanced CT Image Storage (PS3.3 A.38). */
export const ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.1';
/** Legacy Converted Enhanced CT Image Storage (PS3.3 A.70): classic slices repackaged as frames. */
export const LEGACY_CONVERTED_ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.2';

const MULTI_FRAME_CT = new Set([ENHANCED_CT_IMAGE_STORAGE, LEGACY_CONVERTED_ENHANCED_CT_IMAGE_STORAGE]);

/**
 * Functional group macros (PS3.3 C.7.6.16.2) whose attributes every frame of an Enhanced or Legacy Converted
 * Enhanced image needs where a classic image has them at the top level, under the same keywords. Both
 * frame expansions use it: the volume builder's (below, naturalized datasets) and the DICOM JSON one
 * (dicomweb/dicom-json-frames.ts, WADO-RS metadata).
 */
export const FRAME_GEOMETRY_GROUPS: ReadonlyArray<[group: string, attributes: readonly string[]]> = [
  ['PlanePositionSequence', ['ImagePositionPatient']],
  ['PlaneOrientationSequence', ['ImageOrientationPatient']],
  ['PixelMeasuresSequence', ['PixelSpacing', 'SliceThickness', 'SpacingBetweenSlices']],
  ['PixelValueTransformationSequence', ['RescaleSlope', 'RescaleIntercept', 'RescaleType']],
];

/**
 * What the volume builder lifts (PS3.3 C.7.6.16.2, C.8.15.3), and where it expects it on a classic slice:
 * the frame geometry groups, plus frame type and gantry tilt. A per-frame item wins over the shared one.
 */
const LIFTED_GROUPS: ReadonlyArray<[group: string, attributes: ReadonlyArray<[from: string, to: string]>]> = [
  ...FRAME_GEOMETRY_GROUPS.map(([group, attributes]): [string, Array<[string, string]>] => [group, attributes.map((a): [string, string] => [a, a])]),
  // C.8.15.3.1: FrameType has the values of ImageType, per frame; value 3 says LOCALIZER for a scout frame.
  ['CTImageFrameTypeSequence', [['FrameType', 'ImageType']]],
  // C.8.15.3.3 CT Acquisition Details: a tilted gantry is declared per frame.
  ['CTAcquisitionDetailsSequence', [['GantryDetectorTilt', 'GantryDetectorTilt']]],
];

/**
 * Top-level attributes a frame never inherits: the functional groups themselves, and geometry that the
 * Enhanced IODs keep only in functional groups, so a stray top-level copy cannot give every frame the
 * same position. Both frame expansions use it.
 */
export const NOT_INHERITED_BY_FRAMES: readonly string[] = ['PerFrameFunctionalGroupsSequence', 'SharedFunctionalGroupsSequence', 'NumberOfFrames', 'ImagePositionPatient', 'ImageOrientationPatient', 'PixelSpacing'];

/** dcmjs naturalizes sequences as arrays of datasets; accept a lone item too. */
function items(value: unknown): DicomDataset[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is DicomDataset => typeof item === 'object' && item !== null);
}

/** True for an instance the volume builder takes frame by frame (Enhanced or Legacy Converted Enhanced CT). */
export function isMultiFrameCt(instance: DicomInstance): boolean {
  return MULTI_FRAME_CT.has(instance.sopClassUID);
}

/**
 * Turns an Enhanced CT or Legacy Converted Enhanced CT instance into one {@link FrameSlice} per frame,
 * each with the frame's position, orientation, pixel spacing, rescale, frame type and tilt lifted from
 * its per-frame functional group item (or the shared one, PS3.3 C.7.6.16.1). Any other instance comes
 * back alone and unchanged. Frames are not decoded here.
 * @throws SeriesRejectedError `mixed-geometry` when a multi-frame instance is not one of these SOP
 *   classes or its per-frame groups do not match NumberOfFrames.
 */
export function expandFrames(instance: DicomInstance): DicomInstance[] {
  const frames = instance.frames();
  if (!isMultiFrameCt(instance)) {
    if (frames > 1) {
      reject(
        `Building a CT volume failed: SOP Instance ${instance.sopInstanceUID} has ${frames} frames but SOP Class ${instance.sopClassUID} is single-frame; only Enhanced CT and Legacy Converted Enhanced CT images carry frames`,
        'mixed-geometry',
      );
    }
    return [instance];
  }
  const perFrame = items(instance.dataset.PerFrameFunctionalGroupsSequence);
  const shared = items(instance.dataset.SharedFunctionalGroupsSequence)[0] ?? {};
  if (perFrame.length !== frames) {
    reject(
      `Building a CT volume failed: SOP Instance ${instance.sopInstanceUID} has ${frames} frame(s) but ${perFrame.length} PerFrameFunctionalGroupsSequence item(s) (PS3.3 C.7.6.16 needs one per frame)`,
      'mixed-geometry',
    );
  }
  const common: DicomDataset = { ...instance.dataset };
  for (const keyword of NOT_INHERITED_BY_FRAMES) delete common[keyword];
  return perFrame.map((frameGroups, index) => new FrameSlice(instance, index + 1, liftGroups(common, frameGroups, shared)));
}

function liftGroups(common: DicomDataset, frameGroups: DicomDataset, shared: DicomDataset): DicomDataset {
  const dataset: DicomDataset = { ...common };
  for (const [group, attributes] of LIFTED_GROUPS) {
    const item = items(frameGroups[group] ?? shared[group])[0];
    if (!item) continue;
    for (const [from, to] of attributes) if (item[from] !== undefined) dataset[to] = item[from];
  }
  return dataset;
}
