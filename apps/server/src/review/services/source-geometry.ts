import { DicomJsonDataset, getJsonNumber, getJsonString, getJsonValues } from '@covseg/dicom';

/** One source image (the shape readSeg's `source` takes). */
export interface SourceSlice {
  sopInstanceUID: string;
  sopClassUID: string;
  /** LPS, mm. */
  imagePositionPatient: number[];
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
 * between positions along the normal (PS3.3 §C.7.6.2.1.1), falling back to SliceThickness for a single slice.
 */
export function sourceGeometryOf(instances: DicomJsonDataset[]): SourceGeometry {
  const images = instances.filter((d) => getJsonNumber(d, 'Rows') !== undefined && getJsonValues(d, 'ImagePositionPatient').length === 3);
  const first = images[0];
  if (!first) return { slices: [], rows: 0, columns: 0, voxelVolumeMm3: 0 };
  const orientation = getJsonValues(first, 'ImageOrientationPatient').map(Number);
  const normal = orientation.length === 6 ? cross(orientation.slice(0, 3), orientation.slice(3, 6)) : [0, 0, 1];
  const slices = images
    .map((d) => ({
      sopInstanceUID: getJsonString(d, 'SOPInstanceUID') ?? '',
      sopClassUID: getJsonString(d, 'SOPClassUID') ?? '',
      imagePositionPatient: getJsonValues(d, 'ImagePositionPatient').map(Number),
    }))
    .filter((s) => s.sopInstanceUID !== '')
    .sort((a, b) => dot(a.imagePositionPatient, normal) - dot(b.imagePositionPatient, normal));
  const gaps = slices.slice(1).map((s, i) => Math.abs(dot(s.imagePositionPatient, normal) - dot(slices[i]!.imagePositionPatient, normal)));
  gaps.sort((a, b) => a - b);
  const sliceSpacing = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! : (getJsonNumber(first, 'SliceThickness') ?? 1);
  const spacing = getJsonValues(first, 'PixelSpacing').map(Number);
  const voxelVolumeMm3 = (spacing[0] ?? 1) * (spacing[1] ?? spacing[0] ?? 1) * sliceSpacing;
  return { slices, rows: getJsonNumber(first, 'Rows') ?? 0, columns: getJsonNumber(first, 'Columns') ?? 0, voxelVolumeMm3 };
}

function cross(a: number[], b: number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}
