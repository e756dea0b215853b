import type { DicomInstance } from '../parsing/dicom-instance';
import type { StoredPixels } from '../parsing/dicom-dataset';
import { requireRescale } from './physical-ranges';

/**
 * Applies the Modality LUT (PS3.3 C.11.1: HU = stored x RescaleSlope + RescaleIntercept) of one slice,
 * rounding to the nearest HU and clamping to the int16 range, into `out` (a view into the volume).
 * `stored` is read, not kept.
 * @throws SeriesRejectedError when RescaleSlope or RescaleIntercept is missing or out of range (see requireRescale).
 */
export function rescaleInto(stored: StoredPixels, instance: DicomInstance, out: Int16Array): void {
  const { slope, intercept } = requireRescale(instance);
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
