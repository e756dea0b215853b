import type { DicomInstance } from '../parsing/dicom-instance';
import { reject } from './slice-geometry';

function values(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/**
 * The checks that need no geometry: enough slices, one series, CT, no localizer, single-frame with
 * pixel data, no gantry tilt declared. Throws SeriesRejectedError on the first that fails.
 */
export function checkSeriesAttributes(instances: readonly DicomInstance[], minSlices: number): void {
  if (instances.length < minSlices) {
    reject(`Building a CT volume failed: the series has ${instances.length} slice(s), at least ${minSlices} are needed`, 'too-few-slices');
  }
  const seriesUID = instances[0]!.dataset.SeriesInstanceUID;
  const frameOfReferenceUID = instances[0]!.dataset.FrameOfReferenceUID;
  if (typeof seriesUID !== 'string' || typeof frameOfReferenceUID !== 'string' || typeof instances[0]!.dataset.StudyInstanceUID !== 'string') {
    reject(`Building a CT volume failed: SOP Instance ${instances[0]!.sopInstanceUID} lacks StudyInstanceUID, SeriesInstanceUID or FrameOfReferenceUID`, 'mixed-geometry');
  }
  for (const instance of instances) {
    const uid = instance.sopInstanceUID;
    if (instance.dataset.Modality !== 'CT') {
      reject(`Building a CT volume failed: SOP Instance ${uid} has Modality ${String(instance.dataset.Modality)}, not CT`, 'not-ct');
    }
    if (instance.dataset.SeriesInstanceUID !== seriesUID) {
      reject(`Building a CT volume failed: SOP Instance ${uid} belongs to series ${String(instance.dataset.SeriesInstanceUID)}, not ${String(seriesUID)}`, 'mixed-geometry');
    }
    if (instance.dataset.FrameOfReferenceUID !== frameOfReferenceUID) {
      reject(`Building a CT volume failed: SOP Instance ${uid} is in another frame of reference than ${instances[0]!.sopInstanceUID}`, 'mixed-geometry');
    }
    // PS3.3 C.8.2.1.1.1: value 3 of ImageType is AXIAL or LOCALIZER for CT.
    if (values(instance.dataset.ImageType).some((v) => typeof v === 'string' && v.toUpperCase() === 'LOCALIZER')) {
      reject(`Building a CT volume failed: SOP Instance ${uid} is a LOCALIZER (scout) image`, 'localizer');
    }
    if (!instance.hasPixelData()) reject(`Building a CT volume failed: SOP Instance ${uid} has no pixel data`, 'missing-pixel-data');
    if (instance.frames() !== 1) {
      reject(`Building a CT volume failed: SOP Instance ${uid} has ${instance.frames()} frames; only single-frame CT Image Storage is supported`, 'mixed-geometry');
    }
    const tilt = values(instance.dataset.GantryDetectorTilt)[0];
    const tiltDegrees = typeof tilt === 'string' ? Number(tilt) : tilt;
    if (typeof tiltDegrees === 'number' && Math.abs(tiltDegrees) > 1e-3) {
      reject(`Building a CT volume failed: SOP Instance ${uid} has GantryDetectorTilt ${tiltDegrees} degrees`, 'gantry-tilt');
    }
  }
}
