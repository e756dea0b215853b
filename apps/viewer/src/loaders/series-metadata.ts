/** Geometry and pixel description of one CT slice, read from WADO-RS metadata (DICOM JSON, PS3.18 §F.2). */
export interface SliceMeta {
  sopInstanceUID: string;
  instanceNumber: number;
  rows: number;
  columns: number;
  bitsAllocated: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** [row spacing, column spacing] in mm (PS3.3 §10.7.1.3: PixelSpacing is row then column). */
  pixelSpacing: [number, number];
  /** Image Position (Patient), LPS mm. */
  position: [number, number, number] | undefined;
  /** Signed distance along the slice normal, mm; the sort key. */
  location: number;
  windowCenter: number | undefined;
  windowWidth: number | undefined;
  /** WADO-RS URL of the frame, relative to the viewer's origin (through the server's proxy). */
  frameUrl: string;
}

export class SeriesMetadataError extends Error {
  override name = 'SeriesMetadataError';
}

type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

const TAG = {
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  PixelRepresentation: '00280103',
  PhotometricInterpretation: '00280004',
  PixelSpacing: '00280030',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  NumberOfFrames: '00280008',
} as const;

const num = (d: DicomJson, tag: string, i = 0): number | undefined => {
  const v = d[tag]?.Value?.[i];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const str = (d: DicomJson, tag: string): string | undefined => {
  const v = d[tag]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
};
const nums = (d: DicomJson, tag: string): number[] => (d[tag]?.Value ?? []).map((v) => Number(v));

/** SOP classes of images the viewer can stack (CT, enhanced-less MR, secondary capture). Not SEG, SR, RWVM. */
const NON_IMAGE_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.88.22', '1.2.840.10008.5.1.4.1.1.88.33', '1.2.840.10008.5.1.4.1.1.67']);

/**
 * Turns a series' WADO-RS metadata into slices sorted along the slice normal (foot to head follows
 * LPS +z for axial series), falling back to InstanceNumber where positions are missing.
 * Frame URLs point at `root/studies/<study>/series/<series>/instances/<sop>/frames/1`.
 */
export function parseSeriesMetadata(instances: DicomJson[], root: string, study: string, series: string): SliceMeta[] {
  const images = instances.filter((d) => !NON_IMAGE_CLASSES.has(str(d, TAG.SOPClassUID) ?? '') && num(d, TAG.Rows) !== undefined);
  if (images.length === 0) throw new SeriesMetadataError(`Opening series ${series} failed: it has no image instances`);
  const multiFrame = images.find((d) => (num(d, TAG.NumberOfFrames) ?? 1) > 1);
  if (multiFrame) throw new SeriesMetadataError(`Opening series ${series} failed: multi-frame images are not supported by the stack viewer`);
  const orientation = nums(images[0], TAG.ImageOrientationPatient);
  const normal = orientation.length === 6 ? cross(orientation.slice(0, 3), orientation.slice(3, 6)) : [0, 0, 1];
  const slices = images.map((d): SliceMeta => {
    const sop = str(d, TAG.SOPInstanceUID);
    if (!sop) throw new SeriesMetadataError(`Opening series ${series} failed: an instance has no SOPInstanceUID`);
    const ipp = nums(d, TAG.ImagePositionPatient);
    const position = ipp.length === 3 ? (ipp as [number, number, number]) : undefined;
    const spacing = nums(d, TAG.PixelSpacing);
    return {
      sopInstanceUID: sop,
      instanceNumber: num(d, TAG.InstanceNumber) ?? 0,
      rows: num(d, TAG.Rows) ?? 0,
      columns: num(d, TAG.Columns) ?? 0,
      bitsAllocated: num(d, TAG.BitsAllocated) ?? 16,
      pixelRepresentation: num(d, TAG.PixelRepresentation) ?? 0,
      photometricInterpretation: str(d, TAG.PhotometricInterpretation) ?? 'MONOCHROME2',
      rescaleSlope: num(d, TAG.RescaleSlope) ?? 1,
      rescaleIntercept: num(d, TAG.RescaleIntercept) ?? 0,
      pixelSpacing: spacing.length === 2 ? [spacing[0], spacing[1]] : [1, 1],
      position,
      location: position ? dot(position, normal) : 0,
      windowCenter: num(d, TAG.WindowCenter),
      windowWidth: num(d, TAG.WindowWidth),
      frameUrl: `${root}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances/${encodeURIComponent(sop)}/frames/1`,
    };
  });
  const allPositioned = slices.every((s) => s.position);
  slices.sort((a, b) => (allPositioned ? a.location - b.location : a.instanceNumber - b.instanceNumber));
  return slices;
}

function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: number[], b: number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
