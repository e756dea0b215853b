import type { DicomInstance } from '../parsing/dicom-instance';
import { ENHANCED_CT_IMAGE_STORAGE, LEGACY_CONVERTED_ENHANCED_CT_IMAGE_STORAGE } from './enhanced-ct';
import { describeSlice } from './frame-slice';
import { reject } from './slice-geometry';

function values(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/**
 * Image SOP classes whose pixels are read as CT HU (PS3.4 B.5): CT Image Storage, Enhanced CT and
 * Legacy Converted Enhanced CT (frame by frame, enhanced-ct.ts), and Secondary Capture saying Modality CT.
 */
const CT_PIXEL_SOP_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.2', ENHANCED_CT_IMAGE_STORAGE, LEGACY_CONVERTED_ENHANCED_CT_IMAGE_STORAGE, '1.2.840.10008.5.1.4.1.1.7']);

/**
 * One instance whose pixels may be read as CT: Modality present and CT (a missing Modality is not
 * taken on trust), and an image SOP class of {@link CT_PIXEL_SOP_CLASSES} (a SEG, SR or presentation
 * state with CT in Modality is not an image of the patient).
 * @throws SeriesRejectedError ('not-ct') naming what is wrong.
 */
export function requireCtImage(instance: DicomInstance): void {
  const modality = instance.dataset.Modality;
  if (modality !== 'CT') {
    reject(`SOP Instance ${instance.sopInstanceUID} has ${modality === undefined ? 'no Modality' : `Modality ${JSON.stringify(String(modality).slice(0, 16))}`}; CT is required`, 'not-ct');
  }
  if (!CT_PIXEL_SOP_CLASSES.has(instance.sopClassUID)) {
    reject(`SOP Instance ${instance.sopInstanceUID} has SOP Class ${instance.sopClassUID.slice(0, 64)}, not a CT image class (CT, Enhanced CT, Legacy Converted Enhanced CT or Secondary Capture)`, 'not-ct');
  }
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
  // Modality and SOP class first, for every instance: whatever else is wrong with an MR image, "not CT"
  // is the reason that matters.
  for (const instance of instances) requireCtImage(instance);
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
