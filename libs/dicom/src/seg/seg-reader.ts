import { data } from 'dcmjs';

import { dicomLabToRgb } from './cielab';
import type { CodedConcept } from './seg-codes';
import { SegReadError } from './seg-errors';
import { createFrameDecoder } from './seg-frames';
import { alongNormal, distance, sliceNormal, type Vec3 } from './seg-geometry';
import type { SegReadResult, SegReadSegment, SegSourceSlice } from './seg-types';
import { SEGMENTATION_STORAGE } from './seg-writer';

const LABEL_MAP_SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.7';
type Dataset = Record<string, unknown>;

/** Where one frame goes: which segment, and the source image it was derived from or lies on. */
interface FrameInfo {
  /** Undefined when neither the frame's nor the shared groups carry SegmentIdentificationSequence. */
  segmentNumber: number | undefined;
  referencedSopInstanceUID: string | undefined;
  referencedSopClassUID: string | undefined;
  /** ReferencedFrameNumber of a multi-frame source (Enhanced CT), 1-based. */
  referencedFrameNumber: number | undefined;
  position: number[] | undefined;
}

/**
 * Reads a DICOM Segmentation into one labelmap per segment, aligned to its source series.
 *
 * Each frame is placed by its per-frame SourceImageSequence ReferencedSOPInstanceUID when that names a
 * slice of `source`, else by matching its PlanePositionSequence ImagePositionPatient (LPS, mm) to the
 * nearest source slice within half a slice spacing. So SEGs that omit empty frames, order frames by
 * segment or by position, or (dcmqi, highdicom) reference sources differently all land on the right slice.
 *
 * BINARY SEGs are read exactly. FRACTIONAL SEGs are read leniently: a voxel is in the segment when its
 * value is at least half of MaximumFractionalValue. The Label Map SEG class is refused.
 * Transfer syntaxes: implicit/explicit little endian, explicit big endian, deflated, RLE; others are
 * refused with UnsupportedTransferSyntaxError.
 *
 * @param bytes a Part 10 file; not modified or kept.
 * @param source the source series in volume order; without it, labelmaps follow the SEG's own distinct
 *   frame positions sorted along the slice normal.
 * @returns new labelmaps (`slice * rows * columns + y * columns + x`) owned by the caller.
 * @throws SegReadError for malformed or unsupported SEGs and frames that match no source slice.
 */
export function readSeg(bytes: Uint8Array, source?: readonly SegSourceSlice[]): SegReadResult {
  let dataset: Dataset;
  let transferSyntaxUID: string;
  try {
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    const dict = data.DicomMessage.readFile(copy as ArrayBuffer);
    transferSyntaxUID = String(dict.meta['00020010']?.Value?.[0] ?? '');
    dataset = data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch (cause) {
    throw new SegReadError('SEG is not a readable DICOM Part 10 file', undefined, { cause });
  }
  const sopInstanceUID = String(dataset.SOPInstanceUID ?? '(no SOPInstanceUID)');
  const fail = (message: string): never => {
    throw new SegReadError(`SEG ${sopInstanceUID} ${message}`, sopInstanceUID);
  };
  if (dataset.SOPClassUID === LABEL_MAP_SEGMENTATION_STORAGE) fail('is a Label Map Segmentation (…66.7), which readSeg does not support');
  if (dataset.SOPClassUID !== SEGMENTATION_STORAGE) fail(`has SOP Class ${String(dataset.SOPClassUID)}, not Segmentation Storage`);
  const segmentationType = dataset.SegmentationType;
  if (segmentationType !== 'BINARY' && segmentationType !== 'FRACTIONAL') fail(`has SegmentationType ${String(segmentationType)}; only BINARY and FRACTIONAL are read`);
  const rows = Number(dataset.Rows);
  const columns = Number(dataset.Columns);
  const numberOfFrames = Number(dataset.NumberOfFrames ?? 1);
  const bitsAllocated = Number(dataset.BitsAllocated);
  if (!(rows > 0 && columns > 0 && numberOfFrames > 0)) fail('lacks Rows, Columns or NumberOfFrames');
  if (bitsAllocated !== (segmentationType === 'BINARY' ? 1 : 8)) fail(`is ${String(segmentationType)} with BitsAllocated ${bitsAllocated}`);

  const decodeFrame = createFrameDecoder(dataset.PixelData, {
    transferSyntaxUID,
    rows,
    columns,
    numberOfFrames,
    bitsAllocated: bitsAllocated as 1 | 8,
    maximumFractionalValue: Number(dataset.MaximumFractionalValue ?? 255),
    sopInstanceUID,
  });
  const shared = (items(dataset.SharedFunctionalGroupsSequence)[0] ?? {}) as Dataset;
  const perFrame = items(dataset.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== numberOfFrames && numberOfFrames > 1) fail(`has ${perFrame.length} per-frame functional groups for ${numberOfFrames} frames`);
  const orientation = numbers(group(perFrame[0] ?? {}, shared, 'PlaneOrientationSequence')?.ImageOrientationPatient);
  const frames = Array.from({ length: numberOfFrames }, (_, f) => frameInfo(perFrame[f] ?? {}, shared));

  const segmentItems = items(dataset.SegmentSequence);
  if (segmentItems.length === 0) fail('has an empty SegmentSequence');
  const slices = source ? [...source] : slicesFromFrames(frames, dataset, orientation);
  const locate = sliceLocator(slices, orientation);
  const pixels = rows * columns;
  const labelmaps = new Map<number, Uint8Array>(segmentItems.map((item) => [Number(item.SegmentNumber), new Uint8Array(slices.length * pixels)]));
  const filled = new Set<string>();

  frames.forEach((frame, f) => {
    // A SEG of one segment may leave SegmentIdentificationSequence out; with more, guessing would be silent corruption.
    if (frame.segmentNumber === undefined && segmentItems.length > 1) fail(`frame ${f + 1} has no SegmentIdentificationSequence`);
    const segmentNumber = frame.segmentNumber ?? Number(segmentItems[0].SegmentNumber);
    const labelmap = labelmaps.get(segmentNumber);
    if (!labelmap) fail(`frame ${f + 1} references segment ${segmentNumber}, which SegmentSequence does not define`);
    const z = locate(frame);
    if (z === undefined) fail(`frame ${f + 1} matches no source slice (referenced SOP ${frame.referencedSopInstanceUID ?? 'none'}, position ${frame.position?.join('\\') ?? 'none'})`);
    const key = `${segmentNumber}/${z}`;
    if (filled.has(key)) fail(`has two frames of segment ${segmentNumber} on slice ${z}`);
    filled.add(key);
    decodeFrame(f, labelmap!, z! * pixels);
  });

  return {
    sopInstanceUID,
    seriesInstanceUID: String(dataset.SeriesInstanceUID ?? ''),
    studyInstanceUID: String(dataset.StudyInstanceUID ?? ''),
    frameOfReferenceUID: dataset.FrameOfReferenceUID === undefined ? undefined : String(dataset.FrameOfReferenceUID),
    segmentationType: segmentationType as 'BINARY' | 'FRACTIONAL',
    rows,
    columns,
    slices,
    segments: segmentItems.map((item) => segmentOf(item, labelmaps.get(Number(item.SegmentNumber))!)),
  };
}

function frameInfo(frame: Dataset, shared: Dataset): FrameInfo {
  let referencedSopInstanceUID: string | undefined;
  let referencedSopClassUID: string | undefined;
  let referencedFrameNumber: number | undefined;
  for (const derivation of items(group(frame, shared, 'DerivationImageSequence', true))) {
    const sourceImage = items(derivation.SourceImageSequence)[0];
    if (sourceImage?.ReferencedSOPInstanceUID) {
      referencedSopInstanceUID = String(sourceImage.ReferencedSOPInstanceUID);
      referencedSopClassUID = sourceImage.ReferencedSOPClassUID === undefined ? undefined : String(sourceImage.ReferencedSOPClassUID);
      // Several frame numbers would mean the SEG frame lies on several source frames: position decides then.
      const frameNumbers = numbers(sourceImage.ReferencedFrameNumber);
      referencedFrameNumber = frameNumbers.length === 1 ? frameNumbers[0] : undefined;
      break;
    }
  }
  const position = numbers(group(frame, shared, 'PlanePositionSequence')?.ImagePositionPatient);
  return {
    segmentNumber: optionalNumber(group(frame, shared, 'SegmentIdentificationSequence')?.ReferencedSegmentNumber),
    referencedSopInstanceUID,
    referencedSopClassUID,
    referencedFrameNumber,
    position: position.length === 3 ? position : undefined,
  };
}

/**
 * A source image's key: its SOP Instance UID, plus the frame number for a frame of a multi-frame image.
 * Callers that match slices by SOP Instance and frame (the correction service) use this same key.
 */
export function sourceSliceKey(sopInstanceUID: string, frameNumber: number | undefined): string {
  return frameNumber === undefined ? sopInstanceUID : `${sopInstanceUID}#${frameNumber}`;
}

/**
 * Finds a frame's slice: by SOP Instance UID (and ReferencedFrameNumber for a multi-frame source)
 * first, then by the nearest position within half a slice step.
 */
function sliceLocator(slices: readonly SegSourceSlice[], orientation: number[]): (frame: FrameInfo) => number | undefined {
  const bySop = new Map(slices.map((slice, z) => [sourceSliceKey(slice.sopInstanceUID, slice.referencedFrameNumber), z]));
  const normal: Vec3 = orientation.length === 6 ? sliceNormal(orientation) : [0, 0, 1];
  const heights = slices.map((slice) => alongNormal(slice.imagePositionPatient, normal));
  const steps = heights.slice(1).map((h, i) => Math.abs(h - heights[i])).filter((s) => s > 1e-6);
  const tolerance = steps.length > 0 ? Math.min(...steps) / 2 : 0.5;
  return (frame) => {
    const z = frame.referencedSopInstanceUID === undefined ? undefined : bySop.get(sourceSliceKey(frame.referencedSopInstanceUID, frame.referencedFrameNumber));
    if (z !== undefined || !frame.position) return z;
    let best: number | undefined;
    let bestDistance = Infinity;
    slices.forEach((slice, i) => {
      const d = distance(slice.imagePositionPatient, frame.position!);
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return bestDistance <= tolerance ? best : undefined;
  };
}

/** Without a source series: the SEG's distinct frame positions (or referenced SOPs), sorted along the normal. */
function slicesFromFrames(frames: FrameInfo[], dataset: Dataset, orientation: number[]): SegSourceSlice[] {
  const classes = new Map<string, string>();
  for (const series of items(dataset.ReferencedSeriesSequence)) {
    for (const instance of items(series.ReferencedInstanceSequence)) classes.set(String(instance.ReferencedSOPInstanceUID), String(instance.ReferencedSOPClassUID ?? ''));
  }
  const unique = new Map<string, SegSourceSlice>();
  for (const frame of frames) {
    if (!frame.position) throw new SegReadError(`SEG ${String(dataset.SOPInstanceUID)} has a frame without ImagePositionPatient; pass the source series to readSeg`, String(dataset.SOPInstanceUID));
    const key = frame.position.map((v) => v.toFixed(3)).join('\\');
    if (!unique.has(key)) {
      const sop = frame.referencedSopInstanceUID ?? '';
      unique.set(key, {
        sopInstanceUID: sop,
        sopClassUID: frame.referencedSopClassUID ?? classes.get(sop) ?? '',
        imagePositionPatient: frame.position,
        ...(frame.referencedFrameNumber !== undefined ? { referencedFrameNumber: frame.referencedFrameNumber } : {}),
      });
    }
  }
  const normal: Vec3 = orientation.length === 6 ? sliceNormal(orientation) : [0, 0, 1];
  return [...unique.values()].sort((a, b) => alongNormal(a.imagePositionPatient, normal) - alongNormal(b.imagePositionPatient, normal));
}

function segmentOf(item: Dataset, labelmap: Uint8Array): SegReadSegment {
  const lab = numbers(item.RecommendedDisplayCIELabValue);
  const cielab = lab.length === 3 ? (lab as [number, number, number]) : undefined;
  return {
    segmentNumber: Number(item.SegmentNumber),
    label: String(item.SegmentLabel ?? ''),
    description: item.SegmentDescription === undefined ? undefined : String(item.SegmentDescription),
    category: code(item.SegmentedPropertyCategoryCodeSequence),
    type: code(item.SegmentedPropertyTypeCodeSequence),
    algorithmType: item.SegmentAlgorithmType === undefined ? undefined : String(item.SegmentAlgorithmType),
    algorithmName: item.SegmentAlgorithmName === undefined ? undefined : String(item.SegmentAlgorithmName),
    recommendedDisplayCIELab: cielab,
    recommendedDisplayRgb: cielab ? dicomLabToRgb(cielab) : undefined,
    labelmap,
  };
}

function code(sequence: unknown): CodedConcept | undefined {
  const item = items(sequence)[0];
  if (!item) return undefined;
  return { CodeValue: String(item.CodeValue ?? ''), CodingSchemeDesignator: String(item.CodingSchemeDesignator ?? ''), CodeMeaning: String(item.CodeMeaning ?? '') };
}

/** A functional group macro's first item: per-frame wins over shared (PS3.3 C.7.6.16). */
function group(frame: Dataset, shared: Dataset, name: string, whole = false): Dataset | undefined {
  const value = frame[name] ?? shared[name];
  if (whole) return value as Dataset | undefined;
  return items(value)[0];
}

/** dcmjs naturalizes a one-item sequence to the item itself and longer ones to arrays; accept both. */
function items(value: unknown): Dataset[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Dataset[];
}

function optionalNumber(value: unknown): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? undefined : Number(first);
}

function numbers(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(Number);
}
