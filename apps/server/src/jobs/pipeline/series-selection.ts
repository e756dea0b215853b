/**
 * Picks the series of a study to segment when the request names none. Pure: it takes what QIDO and
 * WADO-RS metadata said about each series and returns the choice with the rules and every candidate's
 * verdict, which the job result shows so a person can see why.
 */

/** What we know about one series of the study. */
export interface SeriesFacts {
  seriesInstanceUID: string;
  seriesNumber?: number;
  seriesDescription?: string;
  modality?: string;
  /** Images in the series: QIDO NumberOfSeriesRelatedInstances, or from the metadata the instances with each Enhanced CT frame counted. */
  instances: number;
  /** Union of ImageType values over the instances (PS3.3 C.7.6.1.1.2), upper case. */
  imageType: string[];
  /** Row and column direction cosines of the first instance (ImageOrientationPatient, LPS). */
  imageOrientationPatient?: number[];
  /** SliceThickness (0018,0050) in mm, of the first instance. */
  sliceThicknessMm?: number;
  /** ConvolutionKernel (0018,1210), upper case, joined when multi-valued. */
  convolutionKernel?: string;
}

export interface SeriesVerdict extends SeriesFacts {
  eligible: boolean;
  /** Why it is not eligible; absent when eligible. */
  rejectedBecause?: string;
  kernelClass: 'soft' | 'lung' | 'unknown';
}

export interface SeriesSelection {
  chosenSeriesInstanceUID: string | undefined;
  rules: string[];
  candidates: SeriesVerdict[];
}

/** A slice thickness outside this range (mm) is not a diagnostic axial chest series. */
export const SANE_THICKNESS_MM = { min: 0.5, max: 5 } as const;
/** Fewer instances than this cannot be a chest volume (localizers have 1 to 3). */
export const MIN_SERIES_INSTANCES = 10;
/** |normal . z| above this is axial: the normal within about 18 degrees of the patient's long axis. */
const AXIAL_COSINE = 0.95;

// Vendor kernel names: GE STANDARD/SOFT, Siemens Bxx (B30f soft, B60f+ sharp) and Brxx/Qrxx, Philips
// B/C soft vs L/YA/YB lung, Canon/Toshiba FC0x-FC1x soft vs FC5x lung. Sharp (lung) kernels add
// noise that the model, trained on smooth lung-window slices, reads as ground glass; prefer soft.
const LUNG_KERNEL = /LUNG|BONE|SHARP|DETAIL|EDGE|^B[4-9]\d|^BR[5-9]\d|^BL\d|^I[5-9]\d|^FC5\d|^FC8\d|^Y[A-D]$|^L$/;
const SOFT_KERNEL = /STANDARD|SOFT|SMOOTH|BODY|^B[1-3]\d|^BR[1-4]\d|^I[1-4]\d|^FC0\d|^FC1\d|^[ABC]$/;

export const SELECTION_RULES: readonly string[] = [
  'Modality must be CT',
  "ImageType must not contain LOCALIZER or SCOUT, and the series needs at least 10 images (instances, or frames of an Enhanced CT instance)",
  'Slices must be axial: the normal of ImageOrientationPatient within about 18 degrees of the patient z axis',
  `SliceThickness, when present, must lie in ${SANE_THICKNESS_MM.min}-${SANE_THICKNESS_MM.max} mm`,
  'Among eligible series: most instances first, then the thinnest SliceThickness',
  'Then a soft-tissue kernel (e.g. STANDARD, B30f) over a lung/sharp kernel (e.g. LUNG, B70f): sharp-kernel noise looks like ground glass to the model',
  'Then the lowest SeriesNumber',
];

export function classifyKernel(kernel: string | undefined): SeriesVerdict['kernelClass'] {
  if (!kernel) return 'unknown';
  const k = kernel.toUpperCase().trim();
  if (LUNG_KERNEL.test(k)) return 'lung';
  if (SOFT_KERNEL.test(k)) return 'soft';
  return 'unknown';
}

function rejection(facts: SeriesFacts): string | undefined {
  if ((facts.modality ?? '').toUpperCase() !== 'CT') return `Modality is ${facts.modality ?? 'missing'}, not CT`;
  const localizer = facts.imageType.find((t) => t === 'LOCALIZER' || t === 'SCOUT');
  if (localizer) return `ImageType contains ${localizer}`;
  if (facts.instances < MIN_SERIES_INSTANCES) return `only ${facts.instances} images (at least ${MIN_SERIES_INSTANCES} needed)`;
  const iop = facts.imageOrientationPatient;
  if (!iop || iop.length !== 6 || iop.some((v) => !Number.isFinite(v))) return 'ImageOrientationPatient is missing';
  const nz = iop[0] * iop[4] - iop[1] * iop[3];
  if (Math.abs(nz) < AXIAL_COSINE) return `not axial (normal z component ${nz.toFixed(2)})`;
  const t = facts.sliceThicknessMm;
  if (t !== undefined && (t < SANE_THICKNESS_MM.min || t > SANE_THICKNESS_MM.max)) return `SliceThickness ${t} mm is outside ${SANE_THICKNESS_MM.min}-${SANE_THICKNESS_MM.max} mm`;
  return undefined;
}

const KERNEL_RANK = { soft: 0, unknown: 1, lung: 2 } as const;

/** Applies {@link SELECTION_RULES}; `chosenSeriesInstanceUID` is undefined when no series is eligible. */
export function selectSeries(series: SeriesFacts[]): SeriesSelection {
  const candidates: SeriesVerdict[] = series.map((facts) => {
    const rejectedBecause = rejection(facts);
    return { ...facts, eligible: rejectedBecause === undefined, kernelClass: classifyKernel(facts.convolutionKernel), ...(rejectedBecause ? { rejectedBecause } : {}) };
  });
  const ranked = candidates
    .filter((c) => c.eligible)
    .sort(
      (a, b) =>
        b.instances - a.instances ||
        (a.sliceThicknessMm ?? Number.POSITIVE_INFINITY) - (b.sliceThicknessMm ?? Number.POSITIVE_INFINITY) ||
        KERNEL_RANK[a.kernelClass] - KERNEL_RANK[b.kernelClass] ||
        (a.seriesNumber ?? Number.POSITIVE_INFINITY) - (b.seriesNumber ?? Number.POSITIVE_INFINITY),
    );
  return { chosenSeriesInstanceUID: ranked[0]?.seriesInstanceUID, rules: [...SELECTION_RULES], candidates };
}
