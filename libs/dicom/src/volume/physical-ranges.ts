import type { DicomInstance } from '../parsing/dicom-instance';
import { reject } from './slice-geometry';
import { describeSlice } from './frame-slice';

/**
 * Physical ranges of the values that size every later computation (closing radius, volumes, HU).
 * A value outside them is a broken or hostile header, not an unusual scanner: CT pixels are 0.1–2 mm
 * (micro-CT reaches 0.05), and a spacing of 1e-300 mm once made the lung closing radius 1e301 pixels.
 * libs/segmentation guards its own inputs with the same range (lung-mask.ts); keep the two in step.
 */
export const PIXEL_SPACING_RANGE_MM = { min: 0.05, max: 10 } as const;
/** Slice spacing along the normal (mm): thin-slice CT is 0.5 mm, thick 10 mm; beyond 50 mm is not a volume. */
export const SLICE_SPACING_RANGE_MM = { min: 0.05, max: 50 } as const;
/** |RescaleSlope| and |RescaleIntercept| bounds: a slope of 0 maps every pixel to one HU; larger ones overflow int16 HU. */
const SLOPE_RANGE = { min: 1e-6, max: 1e6 } as const;
const INTERCEPT_MAX = 1e6;

// The value as the header holds it (multi-values joined by \ as in DICOM), quoted, at most 60 characters.
const show = (raw: unknown) => (raw === undefined ? 'missing' : `"${(Array.isArray(raw) ? raw.join('\\') : String(raw)).slice(0, 60)}"`);

function numbersOf(raw: unknown): number[] {
  // Only an absent attribute is "missing"; dcmjs turns an unparsable DS into null, which is invalid.
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  // dcmjs gives DS values as numbers or numeric strings; anything else (text, NaN, Infinity) fails here.
  return values.map((v) => (typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : Number.NaN));
}

/**
 * What the header checks read of an instance: its dataset (naturalized keywords) and SOP Instance UID for
 * the message. A parsed DicomInstance is one; so is `{ sopInstanceUID, dataset: { PixelSpacing } }` built
 * from DICOM JSON metadata (the server's WADO-RS metadata paths), which must obey the same rule.
 */
export type InstanceHeader = Pick<DicomInstance, 'sopInstanceUID' | 'dataset'>;

/**
 * PixelSpacing (PS3.3 C.7.6.2.1.1: row spacing \ column spacing, mm) of one instance: two finite
 * numbers within {@link PIXEL_SPACING_RANGE_MM}.
 * @throws SeriesRejectedError ('implausible-geometry') naming the value.
 */
export function requirePixelSpacing(instance: InstanceHeader): [number, number] {
  const raw = instance.dataset.PixelSpacing;
  const values = numbersOf(raw);
  const { min, max } = PIXEL_SPACING_RANGE_MM;
  if (values.length !== 2 || !values.every((v) => Number.isFinite(v) && v >= min && v <= max)) {
    reject(`${describeSlice(instance)} has PixelSpacing ${show(raw)}: two numbers from ${min} to ${max} mm are expected`, 'implausible-geometry');
  }
  return values as [number, number];
}

/**
 * RescaleSlope and RescaleIntercept (PS3.3 C.11.1.1, Type 1 in the CT Image Module C.8.2.1): finite,
 * the slope non-zero. Guessing 1/0 for a missing one would shift every HU by the intercept.
 * @throws SeriesRejectedError ('missing-rescale' when absent, 'invalid-rescale' when out of range) naming the value.
 */
export function requireRescale(instance: InstanceHeader): { slope: number; intercept: number } {
  const read = (keyword: 'RescaleSlope' | 'RescaleIntercept') => {
    const raw = instance.dataset[keyword];
    const values = numbersOf(raw);
    if (values.length === 0) reject(`${describeSlice(instance)} has no ${keyword}`, 'missing-rescale');
    const value = values[0]!;
    const ok = keyword === 'RescaleSlope' ? Number.isFinite(value) && Math.abs(value) >= SLOPE_RANGE.min && Math.abs(value) <= SLOPE_RANGE.max : Number.isFinite(value) && Math.abs(value) <= INTERCEPT_MAX;
    if (values.length !== 1 || !ok) {
      const range = keyword === 'RescaleSlope' ? `a finite number, not 0, of magnitude ${SLOPE_RANGE.min} to ${SLOPE_RANGE.max}` : `a finite number within ±${INTERCEPT_MAX}`;
      reject(`${describeSlice(instance)} has ${keyword} ${show(raw)}: ${range} is expected`, 'invalid-rescale');
    }
    return value;
  };
  return { slope: read('RescaleSlope'), intercept: read('RescaleIntercept') };
}

/**
 * A slice spacing along the normal (mm; from positions, or SliceThickness for a single slice): finite and
 * within {@link SLICE_SPACING_RANGE_MM}. `what` names the series or slice for the message.
 * @throws SeriesRejectedError ('implausible-geometry') naming the value.
 */
export function requireSliceSpacing(spacingMm: number | undefined, what: string): number {
  const { min, max } = SLICE_SPACING_RANGE_MM;
  if (spacingMm === undefined || !Number.isFinite(spacingMm) || spacingMm < min || spacingMm > max) {
    reject(`${what} has a slice spacing of ${spacingMm === undefined ? 'nothing (no positions to measure it from and no SliceThickness)' : `${spacingMm} mm`}: ${min} to ${max} mm is expected`, 'implausible-geometry');
  }
  return spacingMm;
}
