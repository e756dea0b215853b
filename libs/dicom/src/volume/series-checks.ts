import type { DicomInstance } from '../parsing/dicom-instance';
import { describeSlice } from './frame-slice';
import { reject } from './slice-geometry';

function values(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/**
 * The checks that need no geometry: one series, CT, no localizer, pixel data, no gantry tilt declared.
 * Throws SeriesRejectedError on the first that fails. It says nothing about the slice count on purpose:
 * a single MR image must be refused as not CT, and one Enhanced CT instance holds a whole volume, so
 * the count is checked by {@link checkSliceCount} after multi-frame instances became slices. Run on
 * the instances as retrieved and again on the slices (a frame can be a LOCALIZER or declare a tilt).
 */
export function checkSeriesAttributes(instances: readonly DicomInstance[]): void {
  if (instances.length === 0) reject('Building a CT volume failed: the series has no instances', 'too-few-slices');
  // Modality first: whatever else is wrong with an MR image, "not CT" is the reason that matters.
  for (const instance of instances) {
    if (instance.dataset.Modality !== 'CT') {
      reject(`Building a CT volume failed: ${describeSlice(instance)} has Modality ${String(instance.dataset.Modality)}, not CT`, 'not-ct');
    }
  }
  const seriesUID = instances[0]!.dataset.SeriesInstanceUID;
  const frameOfReferenceUID = instances[0]!.dataset.FrameOfReferenceUID;
  if (typeof seriesUID !== 'string' || typeof frameOfReferenceUID !== 'string' || typeof instances[0]!.dataset.StudyInstanceUID !== 'string') {
    reject(`Building a CT volume failed: SOP Instance ${instances[0]!.sopInstanceUID} lacks StudyInstanceUID, SeriesInstanceUID or FrameOfReferenceUID`, 'mixed-geometry');
  }
  for (const instance of instances) {
    const uid = describeSlice(instance);
    if (instance.dataset.SeriesInstanceUID !== seriesUID) {
      reject(`Building a CT volume failed: ${uid} belongs to series ${String(instance.dataset.SeriesInstanceUID)}, not ${String(seriesUID)}`, 'mixed-geometry');
    }
    if (instance.dataset.FrameOfReferenceUID !== frameOfReferenceUID) {
      reject(`Building a CT volume failed: ${uid} is in another frame of reference than ${instances[0]!.sopInstanceUID}`, 'mixed-geometry');
    }
    // PS3.3 C.8.2.1.1.1: value 3 of ImageType is AXIAL or LOCALIZER for CT.
    if (values(instance.dataset.ImageType).some((v) => typeof v === 'string' && v.toUpperCase() === 'LOCALIZER')) {
      reject(`Building a CT volume failed: ${uid} is a LOCALIZER (scout) image`, 'localizer');
    }
    if (!instance.hasPixelData()) reject(`Building a CT volume failed: ${uid} has no pixel data`, 'missing-pixel-data');
    const tilt = values(instance.dataset.GantryDetectorTilt)[0];
    const tiltDegrees = typeof tilt === 'string' ? Number(tilt) : tilt;
    if (typeof tiltDegrees === 'number' && Math.abs(tiltDegrees) > 1e-3) {
      reject(`Building a CT volume failed: ${uid} has GantryDetectorTilt ${tiltDegrees} degrees`, 'gantry-tilt');
    }
  }
}

/** Refuses fewer slices (classic instances plus Enhanced CT frames) than `minSlices`. */
export function checkSliceCount(slices: readonly DicomInstance[], instances: number, minSlices: number): void {
  if (slices.length < minSlices) {
    const from = slices.length === instances ? '' : ` (from ${instances} instance(s))`;
    reject(`Building a CT volume failed: the series has ${slices.length} slice(s)${from}, at least ${minSlices} are needed`, 'too-few-slices');
  }
}
