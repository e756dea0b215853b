import { SeriesRejectedError, type SeriesRejectionReason } from '../errors';
import type { DicomInstance } from '../parsing/dicom-instance';
import { describeSlice } from './frame-slice';
import type { Vec3 } from './ct-volume';
import { requirePixelSpacing } from './physical-ranges';

export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const subtract = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

/** The geometry attributes of one slice (PS3.3 C.7.6.2 Image Plane Module), read and checked. */
export interface SliceGeometry {
  readonly instance: DicomInstance;
  readonly position: Vec3;
  readonly orientation: readonly number[];
  readonly rowDirection: Vec3;
  readonly columnDirection: Vec3;
  readonly pixelSpacing: readonly [number, number];
}

export function reject(message: string, reason: SeriesRejectionReason, cause?: unknown): never {
  throw new SeriesRejectedError(message, reason, cause === undefined ? undefined : { cause });
}

function numbers(instance: DicomInstance, keyword: string, count: number): number[] {
  const raw = instance.dataset[keyword];
  const values = (Array.isArray(raw) ? raw : [raw]).map((v) => (typeof v === 'string' ? Number(v) : v));
  if (values.length !== count || !values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) {
    reject(`Building a CT volume failed: ${describeSlice(instance)} has no valid ${keyword} (${count} numbers expected)`, 'mixed-geometry');
  }
  return values as number[];
}

/** Reads ImagePositionPatient, ImageOrientationPatient and PixelSpacing of a slice. */
export function readSliceGeometry(instance: DicomInstance): SliceGeometry {
  const orientation = numbers(instance, 'ImageOrientationPatient', 6);
  const rowDirection = orientation.slice(0, 3) as Vec3;
  const columnDirection = orientation.slice(3, 6) as Vec3;
  // PS3.3 C.7.6.2.1.1: the two direction cosines are unit vectors and orthogonal.
  if (Math.abs(norm(rowDirection) - 1) > 1e-3 || Math.abs(norm(columnDirection) - 1) > 1e-3 || Math.abs(dot(rowDirection, columnDirection)) > 1e-3) {
    reject(`Building a CT volume failed: ImageOrientationPatient of ${describeSlice(instance)} is not two orthogonal unit vectors`, 'mixed-geometry');
  }
  const pixelSpacing = requirePixelSpacing(instance);
  return {
    instance,
    position: numbers(instance, 'ImagePositionPatient', 3) as Vec3,
    orientation,
    rowDirection,
    columnDirection,
    pixelSpacing,
  };
}
