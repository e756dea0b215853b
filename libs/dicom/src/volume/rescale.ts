import type { DicomInstance } from '../parsing/dicom-instance';
import type { StoredPixels } from '../parsing/dicom-dataset';
import { reject } from './slice-geometry';

function rescaleValue(instance: DicomInstance, keyword: 'RescaleSlope' | 'RescaleIntercept'): number {
  const raw = instance.dataset[keyword];
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    // Type 1 in the CT Image Module (PS3.3 C.8.2.1): guessing 1/0 would shift every HU by the intercept.
    reject(`Building a CT volume failed: SOP Instance ${instance.sopInstanceUID} has no valid ${keyword}`, 'missing-rescale');
  }
  return value;
}

/** RescaleSlope and RescaleIntercept of a slice. @throws SeriesRejectedError 'missing-rescale'. */
export function readRescale(instance: DicomInstance): { slope: number; intercept: number } {
  return { slope: rescaleValue(instance, 'RescaleSlope'), intercept: rescaleValue(instance, 'RescaleIntercept') };
}

/**
 * Applies the Modality LUT (PS3.3 C.11.1: HU = stored x RescaleSlope + RescaleIntercept) of one slice,
 * rounding to the nearest HU and clamping to the int16 range, into `out` (a view into the volume).
 * `stored` is read, not kept.
 */
export function rescaleInto(stored: StoredPixels, instance: DicomInstance, out: Int16Array): void {
  const { slope, intercept } = readRescale(instance);
  applyModalityLut(stored, slope, intercept, out);
}

/**
 * The arithmetic of {@link rescaleInto} with the slope and intercept given: `out.length` values of
 * `stored` into `out`. The decode worker threads run this same function, so HU match a serial decode.
 */
export function applyModalityLut(stored: StoredPixels, slope: number, intercept: number, out: Int16Array): void {
  const length = out.length;
  if (slope === 1 && Number.isInteger(intercept)) {
    // The usual CT case: integer arithmetic only; the clamp keeps Int16Array from wrapping around.
    for (let i = 0; i < length; i++) {
      const v = stored[i]! + intercept;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return;
  }
  for (let i = 0; i < length; i++) {
    const v = Math.round(stored[i]! * slope + intercept);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
