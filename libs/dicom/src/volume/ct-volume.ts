import type { DicomDataset } from '../parsing/dicom-dataset';

export type Vec3 = [number, number, number];

/**
 * Where the voxels are, in the patient coordinate system (LPS, mm). Voxel (x, y, z) is at
 * `positions[z] + x * columnSpacingMm * rowDirection + y * rowSpacingMm * columnDirection`.
 */
export interface CtVolumeGeometry {
  readonly rows: number;
  readonly columns: number;
  readonly slices: number;
  /** PixelSpacing[0]: distance between the centres of adjacent rows (the y step), mm. */
  readonly rowSpacingMm: number;
  /** PixelSpacing[1]: distance between the centres of adjacent columns (the x step), mm. */
  readonly columnSpacingMm: number;
  /** Mean distance between consecutive slices along `normal`, mm (always > 0). */
  readonly sliceSpacingMm: number;
  /** ImagePositionPatient of the first slice in volume order (centre of its first voxel), LPS mm. */
  readonly origin: Vec3;
  /** Direction of increasing x (along a row), unit vector in LPS: ImageOrientationPatient[0..2]. */
  readonly rowDirection: Vec3;
  /** Direction of increasing y (down a column), unit vector in LPS: ImageOrientationPatient[3..5]. */
  readonly columnDirection: Vec3;
  /** rowDirection x columnDirection; slices are sorted by increasing position along it. */
  readonly normal: Vec3;
  /** ImagePositionPatient of every slice in volume order, LPS mm. */
  readonly positions: Vec3[];
}

/** The source of one slice of the volume, in volume order; what a SEG references (PS3.3 C.8.20.2). */
export interface CtVolumeSlice {
  readonly sopInstanceUID: string;
  readonly sopClassUID: string;
  readonly imagePositionPatient: Vec3;
  /**
   * 1-based frame of a multi-frame source (Enhanced or Legacy Converted Enhanced CT), which the SEG
   * writes as ReferencedFrameNumber; absent for a single-frame slice.
   */
  readonly referencedFrameNumber?: number;
}

/** A CT series as one HU volume. The caller owns `hu`. */
export interface CtVolume {
  /** Hounsfield units, slice-major: `z * rows * columns + y * columns + x`, clamped to the int16 range. */
  readonly hu: Int16Array;
  readonly geometry: CtVolumeGeometry;
  readonly slices: CtVolumeSlice[];
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly frameOfReferenceUID: string;
  /**
   * Naturalized dataset of the first slice in volume order, without PixelData (patient/study modules for
   * the SEG). For a multi-frame source: that frame's functional groups lifted to the top level, without
   * the functional group sequences.
   */
  readonly header: DicomDataset;
}

export interface BuildCtVolumeOptions {
  /** Fewer slices than this is refused with reason `too-few-slices`; default 8. */
  readonly minSlices?: number;
}
