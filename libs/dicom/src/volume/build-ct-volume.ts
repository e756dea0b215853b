import { DicomError, UnsupportedTransferSyntaxError } from '../errors';
import type { DicomInstance } from '../parsing/dicom-instance';
import type { BuildCtVolumeOptions, CtVolume, Vec3 } from './ct-volume';
import { expandFrames } from './enhanced-ct';
import { describeSlice, FrameSlice } from './frame-slice';
import { checkSeriesAttributes, checkSliceCount } from './series-checks';
import { cross, dot, norm, readSliceGeometry, reject, subtract, type SliceGeometry } from './slice-geometry';
import { rescaleInto } from './rescale';
import { SLICE_SPACING_RANGE_MM } from './physical-ranges';

const orientationTolerance = 1e-4;
const spacingToleranceMm = 1e-3;
/** Two slices closer than this along the normal are the same position (PS3.3 C.7.6.2.1.1 gives no tolerance; 1 µm is far below any CT). */
const duplicateToleranceMm = 1e-3;

function checkSameGeometry(first: SliceGeometry, other: SliceGeometry): void {
  const sameOrientation = first.orientation.every((v, i) => Math.abs(v - other.orientation[i]!) <= orientationTolerance);
  const sameSpacing = first.pixelSpacing.every((v, i) => Math.abs(v - other.pixelSpacing[i]!) <= spacingToleranceMm);
  const a = first.instance.pixel!;
  const b = other.instance.pixel!;
  if (!sameOrientation || !sameSpacing || a.rows !== b.rows || a.columns !== b.columns) {
    reject(
      `Building a CT volume failed: ${describeSlice(other.instance)} (${b.rows} x ${b.columns}, PixelSpacing ${other.pixelSpacing.join('\\')}, ImageOrientationPatient ${other.orientation.join('\\')}) does not match ${describeSlice(first.instance)} (${a.rows} x ${a.columns}, PixelSpacing ${first.pixelSpacing.join('\\')}, ImageOrientationPatient ${first.orientation.join('\\')})`,
      'mixed-geometry',
    );
  }
}

/**
 * Checks that consecutive slices step along the normal only (no gantry tilt, PS3.3 C.8.2.1 notes that
 * tilted acquisitions keep an axial IOP but shift IPP in-plane), without duplicates, evenly spaced.
 * Returns the mean spacing in mm.
 */
function checkSteps(sorted: SliceGeometry[], distances: number[], normal: Vec3): number {
  const steps = distances.slice(1).map((d, i) => d - distances[i]!);
  steps.forEach((step, i) => {
    if (step < duplicateToleranceMm) {
      reject(
        `Building a CT volume failed: ${describeSlice(sorted[i]!.instance)} and ${describeSlice(sorted[i + 1]!.instance)} are at the same position along the slice normal`,
        'duplicate-position',
      );
    }
    const delta = subtract(sorted[i + 1]!.position, sorted[i]!.position);
    const inPlane = norm(subtract(delta, [normal[0] * step, normal[1] * step, normal[2] * step]));
    if (inPlane > Math.max(0.01, 0.01 * step)) {
      reject(
        `Building a CT volume failed: the step from ${describeSlice(sorted[i]!.instance)} to ${describeSlice(sorted[i + 1]!.instance)} moves ${inPlane.toFixed(3)} mm in-plane (gantry tilt or sheared stack)`,
        'gantry-tilt',
      );
    }
  });
  const mean = (distances[distances.length - 1]! - distances[0]!) / steps.length;
  // A missing slice shows up as one step twice the others; interpolating over it would invent anatomy.
  const worst = steps.reduce((w, s) => Math.max(w, Math.abs(s - mean)), 0);
  if (worst > Math.max(0.01, 0.05 * mean)) {
    reject(`Building a CT volume failed: slice spacing varies by ${worst.toFixed(3)} mm around a mean of ${mean.toFixed(3)} mm (missing or irregular slices)`, 'mixed-geometry');
  }
  if (!(mean >= SLICE_SPACING_RANGE_MM.min && mean <= SLICE_SPACING_RANGE_MM.max)) {
    reject(`Building a CT volume failed: the slices are ${mean} mm apart, outside ${SLICE_SPACING_RANGE_MM.min} to ${SLICE_SPACING_RANGE_MM.max} mm`, 'implausible-geometry');
  }
  return mean;
}

/**
 * Builds the HU volume of one CT series (docs/CONTRACTS.md §3). Slices are sorted by their position
 * along the slice normal (rowDirection x columnDirection · ImagePositionPatient, PS3.3 C.7.6.2.1.1),
 * never by InstanceNumber, which scanners number in either direction. Every refusal is a
 * {@link SeriesRejectedError} with a reason code; the instances are read, not modified.
 */
export async function buildCtVolume(instances: readonly DicomInstance[], options: BuildCtVolumeOptions = {}): Promise<CtVolume> {
  const plan = planCtVolume(instances, options);
  const { ordered } = plan;
  const { rows, columns } = plan.first.instance.pixel!;
  const sliceLength = rows * columns;
  const hu = new Int16Array(sliceLength * ordered.length);
  for (let z = 0; z < ordered.length; z++) {
    const instance = ordered[z]!.instance;
    let stored;
    try {
      stored = await instance.decodeFrame(0);
    } catch (error) {
      if (error instanceof UnsupportedTransferSyntaxError) {
        reject(`Building a CT volume failed: ${describeSlice(instance)} uses ${error.transferSyntaxUID}, which cannot be decoded here`, 'unsupported-transfer-syntax', error);
      }
      if (error instanceof DicomError) throw error;
      throw new DicomError(`Building a CT volume failed: decoding ${describeSlice(instance)} threw`, { cause: error });
    }
    rescaleInto(stored, instance, hu.subarray(z * sliceLength, (z + 1) * sliceLength));
  }
  return assembleCtVolume(hu, plan);
}

/** What buildCtVolume decides before decoding anything: the checks passed, the slice order, the spacing. */
export interface CtVolumePlan {
  readonly first: SliceGeometry;
  /** Slices sorted by increasing position along `normal`. */
  readonly ordered: SliceGeometry[];
  readonly normal: Vec3;
  readonly sliceSpacingMm: number;
}

/**
 * Every check of {@link buildCtVolume} that needs no pixel values, and the slice order. A caller that
 * decodes the slices elsewhere (CtVolumeStream) runs this to refuse and sort exactly as buildCtVolume does.
 * @throws SeriesRejectedError
 */
export function planCtVolume(instances: readonly DicomInstance[], options: BuildCtVolumeOptions = {}): CtVolumePlan {
  const minSlices = options.minSlices ?? 8;
  // Order matters for the stated reason: what the instances are (CT, not a localizer, with pixels)
  // before how many slices they make, because one Enhanced CT instance holds the whole volume.
  checkSeriesAttributes(instances);
  const slices = instances.flatMap(expandFrames);
  if (slices.length !== instances.length) checkSeriesAttributes(slices);
  checkSliceCount(slices, instances.length, minSlices);

  const geometries = slices.map(readSliceGeometry);
  const first = geometries[0]!;
  for (const other of geometries.slice(1)) checkSameGeometry(first, other);
  const normal = cross(first.rowDirection, first.columnDirection);
  const sorted = geometries
    .map((geometry) => ({ geometry, distance: dot(normal, geometry.position) }))
    .sort((a, b) => a.distance - b.distance);
  const ordered = sorted.map((s) => s.geometry);
  const sliceSpacingMm = checkSteps(
    ordered,
    sorted.map((s) => s.distance),
    normal,
  );
  return { first, ordered, normal, sliceSpacingMm };
}

/** The CtVolume of a plan and its HU, slice-major in the plan's order; `hu` is taken, not copied. */
export function assembleCtVolume(hu: Int16Array, plan: CtVolumePlan): CtVolume {
  const { first, ordered, normal, sliceSpacingMm } = plan;
  const { rows, columns } = first.instance.pixel!;
  const firstInVolume = ordered[0]!;
  const header = firstInVolume.instance.dataset;
  return {
    hu,
    geometry: {
      rows,
      columns,
      slices: ordered.length,
      rowSpacingMm: first.pixelSpacing[0],
      columnSpacingMm: first.pixelSpacing[1],
      sliceSpacingMm,
      origin: [...firstInVolume.position],
      rowDirection: first.rowDirection,
      columnDirection: first.columnDirection,
      normal,
      positions: ordered.map((g) => [...g.position]),
    },
    slices: ordered.map((g) => ({
      sopInstanceUID: g.instance.sopInstanceUID,
      sopClassUID: g.instance.sopClassUID,
      imagePositionPatient: [...g.position],
      ...(g.instance instanceof FrameSlice ? { referencedFrameNumber: g.instance.frameNumber } : {}),
    })),
    studyInstanceUID: String(header.StudyInstanceUID),
    seriesInstanceUID: String(header.SeriesInstanceUID),
    frameOfReferenceUID: String(header.FrameOfReferenceUID),
    header,
  };
}
