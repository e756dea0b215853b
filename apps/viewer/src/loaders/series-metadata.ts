import { type DicomJson, hasFunctionalGroups, jsonFramesOf } from './frame-groups';

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
  /** 1-based frame of an Enhanced (multi-frame) instance, as the URL and a SEG's ReferencedFrameNumber count it; absent for a classic slice. */
  frameNumber?: number;
}

/**
 * The key a slice is known by across the viewer and the overlays API: its SOP Instance UID, plus the
 * frame number for a frame of a multi-frame instance (libs/dicom seg-reader keys source slices the same way).
 */
export function sliceKeyOf(sopInstanceUID: string, frameNumber: number | undefined): string {
  return frameNumber === undefined ? sopInstanceUID : `${sopInstanceUID}#${frameNumber}`;
}

export class SeriesMetadataError extends Error {
  override name = 'SeriesMetadataError';
}

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
 * LPS +z for axial series), falling back to InstanceNumber (then frame number) where positions are missing.
 * A classic instance is one slice, its frame URL `root/studies/<study>/series/<series>/instances/<sop>/frames/1`.
 * An Enhanced or Legacy Converted Enhanced instance (functional groups, PS3.3 C.7.6.16) is one slice per
 * frame, `…/frames/<n>`, with the frame's position, orientation, spacing, rescale and window from its
 * per-frame functional groups, else the shared ones (frame-groups.ts); several such instances, or a mix
 * with classic ones, make one stack.
 * @throws SeriesMetadataError for no images, a multi-frame image without functional groups, per-frame
 *   groups that do not match NumberOfFrames, or a series of multi-frame images of different sizes.
 */
export function parseSeriesMetadata(instances: DicomJson[], root: string, study: string, series: string): SliceMeta[] {
  const images = instances.filter((d) => !NON_IMAGE_CLASSES.has(str(d, TAG.SOPClassUID) ?? '') && num(d, TAG.Rows) !== undefined);
  if (images.length === 0) throw new SeriesMetadataError(`Opening series ${series} failed: it has no image instances`);
  const frames = images.flatMap((d) => framesOf(d, series));
  if (frames.some((f) => f.frameNumber !== undefined)) requireOneFrameSize(frames.map((f) => f.dataset), series);
  const orientation = nums(frames[0].dataset, TAG.ImageOrientationPatient);
  const normal = orientation.length === 6 ? cross(orientation.slice(0, 3), orientation.slice(3, 6)) : [0, 0, 1];
  const slices = frames.map(({ dataset: d, frameNumber }): SliceMeta => {
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
      frameUrl: `${root}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances/${encodeURIComponent(sop)}/frames/${frameNumber ?? 1}`,
      ...(frameNumber !== undefined ? { frameNumber } : {}),
    };
  });
  const allPositioned = slices.every((s) => s.position);
  // Frames of one instance share its InstanceNumber: their frame number orders them then (0 - 0 for classic slices).
  slices.sort((a, b) => (allPositioned ? a.location - b.location : a.instanceNumber - b.instanceNumber || (a.frameNumber ?? 0) - (b.frameNumber ?? 0)));
  return slices;
}

/** The instance's frames (itself alone when classic), or a SeriesMetadataError naming what the stack viewer cannot show. */
function framesOf(instance: DicomJson, series: string) {
  const sop = str(instance, TAG.SOPInstanceUID) ?? '(no SOPInstanceUID)';
  const count = num(instance, TAG.NumberOfFrames) ?? 1;
  // A multi-frame image without functional groups (old NM, US, XA) has no per-frame position to stack by.
  if (count > 1 && !hasFunctionalGroups(instance)) {
    throw new SeriesMetadataError(`Opening series ${series} failed: instance ${sop} has ${count} frames but no functional groups; only Enhanced multi-frame images (PS3.3 C.7.6.16) are supported by the stack viewer`);
  }
  const frames = jsonFramesOf(instance);
  if (!frames) {
    const items = instance['52009230']?.Value?.length ?? 0;
    throw new SeriesMetadataError(`Opening series ${series} failed: instance ${sop} has ${count} frame(s) but ${items} per-frame functional group item(s); PS3.3 C.7.6.16 needs one per frame`);
  }
  return frames;
}

/** One canvas size for the stack: multi-frame images of different Rows x Columns are refused, not rescaled. */
function requireOneFrameSize(datasets: DicomJson[], series: string): void {
  const size = (d: DicomJson) => `${num(d, TAG.Rows) ?? 0}x${num(d, TAG.Columns) ?? 0}`;
  const first = size(datasets[0]);
  const other = datasets.find((d) => size(d) !== first);
  if (other) throw new SeriesMetadataError(`Opening series ${series} failed: its frames have different sizes (${first} and ${size(other)}), which the stack viewer does not support`);
}

function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: number[], b: number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
