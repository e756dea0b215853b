import { DicomJsonDataset, getJsonNumber, getJsonString, getJsonValues, jsonFramesOf, requirePixelSpacing, requireSliceSpacing, SeriesRejectedError, type DicomDataset } from '@covseg/dicom';

/** One source image (the shape readSeg's `source` takes). */
export interface SourceSlice {
  sopInstanceUID: string;
  sopClassUID: string;
  /** LPS, mm. */
  imagePositionPatient: number[];
  /** 1-based frame of an Enhanced (multi-frame) image, as the SEG's ReferencedFrameNumber names it; absent for a classic slice. */
  referencedFrameNumber?: number;
}

export interface SourceGeometry {
  /** The image instances of the series, sorted along the slice normal (LPS). */
  slices: SourceSlice[];
  rows: number;
  columns: number;
  /** Row spacing × column spacing × slice spacing, mm³. */
  voxelVolumeMm3: number;
}

/**
 * Slices and voxel size of a source series from its WADO-RS metadata. Slice spacing is the median gap
 * between positions along the normal (PS3.3 §C.7.6.2.1.1), or SliceThickness for a single slice.
 * Nothing is guessed: volumes in mL are computed from this, so a missing or implausible PixelSpacing,
 * slice spacing, ImageOrientationPatient or Columns refuses the series, by libs/dicom's own rules
 * (requirePixelSpacing, requireSliceSpacing), as a volume built from the pixels would be refused.
 * An Enhanced or Legacy Converted Enhanced CT instance gives one slice per frame, its position, orientation
 * and spacing read from the functional groups (libs/dicom jsonFramesOf), so a SEG that names its frames
 * by ReferencedFrameNumber lands on them. A series without image instances gives no slices.
 * @throws SeriesRejectedError naming the attribute and the SOP Instance (422 through the exception filter).
 */
export function sourceGeometryOf(instances: DicomJsonDataset[]): SourceGeometry {
  const images = instances
    .flatMap((d) => (getJsonNumber(d, 'Rows') === undefined ? [] : framesOf(d)))
    .filter((frame) => getJsonValues(frame.dataset, 'ImagePositionPatient').length === 3);
  const first = images[0]?.dataset;
  if (!first) return { slices: [], rows: 0, columns: 0, voxelVolumeMm3: 0 };
  const firstUID = getJsonString(first, 'SOPInstanceUID') ?? '(no SOP Instance UID)';
  const orientation = getJsonValues(first, 'ImageOrientationPatient').map(Number);
  if (orientation.length !== 6 || !orientation.every(Number.isFinite)) {
    throw new SeriesRejectedError(`SOP Instance ${firstUID} has no valid ImageOrientationPatient (6 numbers expected)`, 'mixed-geometry');
  }
  const columns = getJsonNumber(first, 'Columns');
  if (columns === undefined || columns < 1) throw new SeriesRejectedError(`SOP Instance ${firstUID} has no Columns`, 'mixed-geometry');
  const normal = cross(orientation.slice(0, 3), orientation.slice(3, 6));
  const slices = images
    .map(({ dataset: d, frameNumber }): SourceSlice => ({
      sopInstanceUID: getJsonString(d, 'SOPInstanceUID') ?? '',
      sopClassUID: getJsonString(d, 'SOPClassUID') ?? '',
      imagePositionPatient: getJsonValues(d, 'ImagePositionPatient').map(Number),
      ...(frameNumber !== undefined ? { referencedFrameNumber: frameNumber } : {}),
    }))
    .filter((s) => s.sopInstanceUID !== '')
    .sort((a, b) => dot(a.imagePositionPatient, normal) - dot(b.imagePositionPatient, normal));
  const gaps = slices.slice(1).map((s, i) => Math.abs(dot(s.imagePositionPatient, normal) - dot(slices[i]!.imagePositionPatient, normal)));
  gaps.sort((a, b) => a - b);
  const sliceSpacing = requireSliceSpacing(gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! : getJsonNumber(first, 'SliceThickness'), `Series of SOP Instance ${firstUID}`);
  const rawSpacing = getJsonValues(first, 'PixelSpacing');
  // DICOM JSON gives DS as numbers (or numeric strings): the library reads both, and "missing" when absent.
  const dataset = (rawSpacing.length > 0 ? { PixelSpacing: rawSpacing } : {}) as DicomDataset;
  const [rowSpacing, columnSpacing] = requirePixelSpacing({ sopInstanceUID: firstUID, dataset });
  return { slices, rows: getJsonNumber(first, 'Rows')!, columns, voxelVolumeMm3: rowSpacing * columnSpacing * sliceSpacing };
}

/** The instance's frames (itself alone for a classic image). @throws SeriesRejectedError when its per-frame groups do not match NumberOfFrames. */
function framesOf(instance: DicomJsonDataset) {
  const frames = jsonFramesOf(instance);
  if (!frames) {
    const uid = getJsonString(instance, 'SOPInstanceUID') ?? '(no SOP Instance UID)';
    throw new SeriesRejectedError(`SOP Instance ${uid} has ${getJsonNumber(instance, 'NumberOfFrames') ?? 1} frame(s) but not one PerFrameFunctionalGroupsSequence item per frame (PS3.3 C.7.6.16)`, 'mixed-geometry');
  }
  return frames;
}

function cross(a: number[], b: number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}
