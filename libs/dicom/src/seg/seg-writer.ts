import { packBitsInto, packEqualsInto, packNonZeroInto, packedByteLength } from './bits';
import { rgbToDicomLab } from './cielab';
import { DerivationCodes } from './seg-codes';
import { derivedInstanceHeader } from './derived-instance';
import { SegWriteError } from './seg-errors';
import { sliceNormal, spacingBetweenSlices } from './seg-geometry';
import { encodePart10, tagOf } from './part10-encoder';
import { provenanceAttributes, requireProvenance } from '../provenance/ai-provenance';
import { SEG_ALGORITHM_TYPES, type SegSegmentInput, type SegWriteInput, type SegWriteResult } from './seg-types';
import { isValidUid, newUid } from './uid';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Our implementation's UID (PS3.7 D.3.3.2), made once under 2.25; never change it between releases. */
const IMPLEMENTATION_CLASS_UID = '2.25.178452374593485719026382946101183466512';


/**
 * Encodes a BINARY DICOM Segmentation (PS3.3 A.51, C.8.20) of `input.segments` over the source series.
 *
 * Layout: one frame per source slice per segment, empty frames included, segment-major
 * (frame = segmentIndex * slices + sliceIndex), so every frame lines up with its source image even in
 * viewers that ignore the dimension index. Pixel data are 1 bit per pixel, packed across frame
 * boundaries (PS3.5 8.1.1), Explicit VR Little Endian. We build the dataset ourselves instead of using
 * dcmjs's derivations API: its default path RLE-encodes and silently writes FRACTIONAL SEGs. We encode
 * it with our own Part 10 encoder (see part10-encoder.ts for why not dcmjs's writer).
 *
 * Geometry is copied, not computed: PlanePositionSequence carries each source slice's
 * ImagePositionPatient (LPS, mm), the shared groups carry its orientation and pixel spacing.
 *
 * @throws SegWriteError when a labelmap's size or values, the slice order, a UID or a required header
 *   attribute is wrong. Messages carry UIDs, never patient attributes.
 */
export function writeBinarySeg(input: SegWriteInput): SegWriteResult {
  const header = input.header;
  const rows = requireNumber(header, 'Rows');
  const columns = requireNumber(header, 'Columns');
  const orientation = requireNumbers(header, 'ImageOrientationPatient', 6);
  const pixelSpacing = requireNumbers(header, 'PixelSpacing', 2);
  const studyInstanceUID = requireUid(header, 'StudyInstanceUID');
  const sourceSeriesUID = requireUid(header, 'SeriesInstanceUID');
  const frameOfReferenceUID = requireUid(header, 'FrameOfReferenceUID');
  const slices = input.sourceSlices;
  if (slices.length === 0) throw new SegWriteError(`SEG of series ${sourceSeriesUID} needs at least one source slice`);
  if (input.segments.length === 0) throw new SegWriteError(`SEG of series ${sourceSeriesUID} needs at least one segment`);
  const spacing = checkSpacing(input, orientation, sourceSeriesUID);
  const sliceThickness = Number(header.SliceThickness) > 0 ? Number(header.SliceThickness) : spacing;

  if (input.provenance) requireProvenance(input.provenance, `SEG of series ${sourceSeriesUID}`);
  const seriesInstanceUID = input.seriesInstanceUID ?? newUid();
  const sopInstanceUID = input.sopInstanceUID ?? newUid();
  for (const [name, uid] of [['seriesInstanceUID', seriesInstanceUID], ['sopInstanceUID', sopInstanceUID]]) {
    if (!isValidUid(uid)) throw new SegWriteError(`SEG ${name} is not a valid UID: ${uid.slice(0, 70)}`);
  }
  checkAlgorithmTypes(input);
  const derivation = derivedFromAttributes(input, seriesInstanceUID, sopInstanceUID, sourceSeriesUID);

  const pixelsPerFrame = rows * columns;
  const voxels = slices.length * pixelsPerFrame;
  const numberOfFrames = input.segments.length * slices.length;
  const pixelData = new Uint8Array(packedByteLength(numberOfFrames * pixelsPerFrame));
  input.segments.forEach((segment, s) => {
    if (segment.labelmap.length !== voxels) {
      throw new SegWriteError(`SEG segment ${s + 1} labelmap has ${segment.labelmap.length} voxels, expected ${slices.length} x ${rows} x ${columns} = ${voxels}`);
    }
    // Segment s's frames are contiguous and in slice order, so its labelmap is exactly its bit stream.
    if (segment.labelmapValues === 'non-zero') {
      packNonZeroInto(segment.labelmap, pixelData, s * voxels);
      return;
    }
    if (typeof segment.labelmapValues === 'object' && segment.labelmapValues !== null) {
      const value = segment.labelmapValues.equals;
      if (!Number.isInteger(value) || value < 1 || value > 255) throw new SegWriteError(`SEG segment ${s + 1} labelmapValues.equals must be an integer 1-255, got ${String(value)}`);
      packEqualsInto(segment.labelmap, value, pixelData, s * voxels);
      return;
    }
    if (segment.labelmapValues !== undefined && segment.labelmapValues !== 'binary') {
      throw new SegWriteError(`SEG segment ${s + 1} has unknown labelmapValues "${String(segment.labelmapValues)}"`);
    }
    const invalid = packBitsInto(segment.labelmap, pixelData, s * voxels);
    if (invalid >= 0) throw new SegWriteError(`SEG segment ${s + 1} labelmap holds ${segment.labelmap[invalid]} at voxel ${invalid}; a BINARY segment takes only 0 and 1`);
  });

  const dimensionOrganizationUID = newUid();
  const { date, time, attributes } = derivedInstanceHeader({
    sopClassUID: SEGMENTATION_STORAGE,
    sopInstanceUID,
    header,
    studyInstanceUID,
    modality: 'SEG',
    seriesInstanceUID,
    seriesNumber: input.seriesNumber ?? 901,
    seriesDescription: input.seriesDescription ?? `${input.algorithm.name} ${input.algorithm.version} segmentation`,
    now: input.now ?? new Date(),
  });

  const dataset: Record<string, unknown> = {
    ...attributes,
    FrameOfReferenceUID: frameOfReferenceUID,
    PositionReferenceIndicator: '',
    // IHE AI Results: with a provenance, the algorithm's Contributing Equipment item and Device UID (ai-provenance.ts).
    ...(input.provenance
      ? provenanceAttributes(input.provenance, `${date}${time}+0000`, `Automatic segmentation by ${input.algorithm.name} ${input.algorithm.version}`)
      : legacyEquipment(input, date, time)),
    InstanceNumber: input.instanceNumber ?? 1,
    ContentDate: date,
    ContentTime: time,
    ContentLabel: input.contentLabel ?? 'SEGMENTATION',
    ContentDescription: input.contentDescription ?? `${input.algorithm.name} ${input.algorithm.version}`,
    ContentCreatorName: input.contentCreatorName ?? 'covseg^automatic',
    ImageType: ['DERIVED', 'PRIMARY'],
    ...derivation.generalImage,
    // Research output: PS3.3 C.7.6.1 ImageComments is where viewers show free text to the reader.
    ImageComments: 'NOT FOR CLINICAL USE',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    // PS3.3 C.8.20.2: tells viewers whether they may draw the segments as one labelmap (they may not: infection lies in lung).
    SegmentsOverlap: segmentsOverlap(input.segments, pixelData, voxels) ? 'YES' : 'NO',
    SegmentSequence: input.segments.map((segment, s) => segmentItem(segment, s + 1, input)),
    NumberOfFrames: numberOfFrames,
    DimensionOrganizationType: '3D',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUID }],
    DimensionIndexSequence: [
      // PS3.3 C.7.6.17.1: the pointers name the attribute and the functional group that holds it.
      { DimensionOrganizationUID: dimensionOrganizationUID, DimensionIndexPointer: tagOf('ReferencedSegmentNumber'), FunctionalGroupPointer: tagOf('SegmentIdentificationSequence'), DimensionDescriptionLabel: 'ReferencedSegmentNumber' },
      { DimensionOrganizationUID: dimensionOrganizationUID, DimensionIndexPointer: tagOf('ImagePositionPatient'), FunctionalGroupPointer: tagOf('PlanePositionSequence'), DimensionDescriptionLabel: 'ImagePositionPatient' },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: orientation }],
        PixelMeasuresSequence: [{ PixelSpacing: pixelSpacing, SliceThickness: sliceThickness, SpacingBetweenSlices: spacing }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrameGroups(input),
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: sourceSeriesUID,
        ReferencedInstanceSequence: referencedInstances(slices),
      },
      // The source series stays the first item: viewers (dcmjs, OHIF) take item 0 as the segmented series.
      ...derivation.referencedSeries,
    ],
  };

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]),
    MediaStorageSOPClassUID: SEGMENTATION_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'COVSEG_1',
  };
  return { bytes: encodePart10(meta, dataset, pixelData), seriesInstanceUID, sopInstanceUID, numberOfFrames };
}

/**
 * True when some voxel is in two segments. Works on the packed bits (8 voxels per byte, ~5 ms for two
 * 133-slice segments) when each segment starts on a byte boundary, else voxel by voxel.
 */
function segmentsOverlap(segments: readonly SegSegmentInput[], packed: Uint8Array, voxels: number): boolean {
  if (segments.length < 2) return false;
  if (voxels % 8 === 0) {
    const bytes = voxels / 8;
    const seen = packed.slice(0, bytes);
    for (let s = 1; s < segments.length; s++) {
      const offset = s * bytes;
      for (let i = 0; i < bytes; i++) {
        const b = packed[offset + i];
        if (seen[i] & b) return true;
        seen[i] |= b;
      }
    }
    return false;
  }
  const seen = new Uint8Array(voxels);
  for (const { labelmap } of segments) {
    for (let i = 0; i < voxels; i++) {
      if (labelmap[i] === 0) continue;
      if (seen[i]) return true;
      seen[i] = 1;
    }
  }
  return false;
}

/** Equipment without a Device UID, for callers that give no `provenance` (tests, other tools). */
function legacyEquipment(input: SegWriteInput, date: string, time: string): Record<string, unknown> {
  return {
    Manufacturer: input.equipment?.manufacturer ?? 'covseg',
    ManufacturerModelName: input.equipment?.manufacturerModelName ?? input.algorithm.name,
    DeviceSerialNumber: input.equipment?.deviceSerialNumber ?? '0',
    SoftwareVersions: input.equipment?.softwareVersions ?? input.algorithm.version,
    ContributingEquipmentSequence: [
      {
        PurposeOfReferenceCodeSequence: [DerivationCodes.processingEquipment],
        Manufacturer: input.equipment?.manufacturer ?? 'covseg',
        ManufacturerModelName: input.algorithm.name,
        SoftwareVersions: input.algorithm.version,
        ContributionDateTime: `${date}${time}+0000`,
        ContributionDescription: `Automatic segmentation by ${input.algorithm.name} ${input.algorithm.version}`,
      },
    ],
  };
}

function segmentItem(segment: SegSegmentInput, segmentNumber: number, input: SegWriteInput): Record<string, unknown> {
  const lab = segment.recommendedDisplayCIELab ?? (segment.recommendedDisplayRgb ? rgbToDicomLab(segment.recommendedDisplayRgb) : undefined);
  const name = segment.algorithmName ?? input.algorithm.name;
  const version = segment.algorithmVersion ?? input.algorithm.version;
  return {
    SegmentNumber: segmentNumber,
    SegmentLabel: segment.label,
    ...(segment.description ? { SegmentDescription: segment.description } : {}),
    SegmentedPropertyCategoryCodeSequence: [segment.category],
    SegmentedPropertyTypeCodeSequence: [segment.type],
    ...(segment.anatomicRegion ? { AnatomicRegionSequence: [segment.anatomicRegion] } : {}),
    SegmentAlgorithmType: segment.algorithmType ?? input.algorithmType ?? 'AUTOMATIC',
    // PS3.3 C.8.20.2: SegmentAlgorithmName is Type 1C, required unless the type is MANUAL; a MANUAL
    // segment names no algorithm (claiming one would misstate who drew it).
    ...((segment.algorithmType ?? input.algorithmType) === 'MANUAL' ? {} : { SegmentAlgorithmName: [name, version].filter(Boolean).join(' ') }),
    ...(lab ? { RecommendedDisplayCIELabValue: [...lab] } : {}),
  };
}

function checkAlgorithmTypes(input: SegWriteInput): void {
  for (const type of [input.algorithmType, ...input.segments.map((s) => s.algorithmType)]) {
    if (type !== undefined && !SEG_ALGORITHM_TYPES.includes(type)) throw new SegWriteError(`SEG SegmentAlgorithmType must be one of ${SEG_ALGORITHM_TYPES.join(', ')}, not ${String(type).slice(0, 20)}`);
  }
}

/**
 * The attributes that say this SEG derives from another (a reader's correction of an AI SEG):
 * SourceImageSequence and DerivationDescription (PS3.3 C.7.6.1.1.3-4, General Image Module, which the
 * Segmentation IOD includes, A.51.3) name the earlier SEG with purpose of reference DCM 121322; and
 * PS3.3 C.12.2 wants every instance of this study that we reference listed in ReferencedSeriesSequence.
 * Validated here so a correction can never silently point at itself or at the image series.
 */
function derivedFromAttributes(input: SegWriteInput, seriesInstanceUID: string, sopInstanceUID: string, sourceSeriesUID: string): { generalImage: Record<string, unknown>; referencedSeries: Record<string, unknown>[] } {
  const from = input.derivedFrom;
  if (!from) return { generalImage: {}, referencedSeries: [] };
  const sopClassUID = from.sopClassUID ?? SEGMENTATION_STORAGE;
  for (const [name, uid] of [['seriesInstanceUID', from.seriesInstanceUID], ['sopInstanceUID', from.sopInstanceUID], ['sopClassUID', sopClassUID]] as const) {
    if (!isValidUid(uid)) throw new SegWriteError(`SEG derivedFrom.${name} is not a valid UID: ${String(uid).slice(0, 70)}`);
  }
  if (from.sopInstanceUID === sopInstanceUID) throw new SegWriteError(`SEG ${sopInstanceUID} cannot derive from itself`);
  if (from.seriesInstanceUID === seriesInstanceUID) throw new SegWriteError(`SEG series ${seriesInstanceUID} must be a new series, not the one of the SEG it derives from`);
  if (from.seriesInstanceUID === sourceSeriesUID) throw new SegWriteError(`SEG derivedFrom names the source image series ${sourceSeriesUID}, not a SEG`);
  if (typeof from.description !== 'string' || from.description.trim() === '' || from.description.length > 1024) {
    throw new SegWriteError('SEG derivedFrom.description must be 1 to 1024 characters (DerivationDescription, ST)');
  }
  return {
    generalImage: {
      DerivationDescription: from.description,
      SourceImageSequence: [
        { ReferencedSOPClassUID: sopClassUID, ReferencedSOPInstanceUID: from.sopInstanceUID, PurposeOfReferenceCodeSequence: [DerivationCodes.sourceImageForProcessing] },
      ],
    },
    referencedSeries: [{ SeriesInstanceUID: from.seriesInstanceUID, ReferencedInstanceSequence: [{ ReferencedSOPClassUID: sopClassUID, ReferencedSOPInstanceUID: from.sopInstanceUID }] }],
  };
}

function perFrameGroups(input: SegWriteInput): Record<string, unknown>[] {
  const groups: Record<string, unknown>[] = [];
  input.segments.forEach((_, s) => {
    input.sourceSlices.forEach((slice, z) => {
      groups.push({
        DerivationImageSequence: [
          {
            DerivationCodeSequence: [DerivationCodes.segmentation],
            SourceImageSequence: [
              {
                ReferencedSOPClassUID: slice.sopClassUID,
                ReferencedSOPInstanceUID: slice.sopInstanceUID,
                // The frame of an Enhanced CT source; without it the reference means every frame (PS3.3 Table 10-3).
                ...(slice.referencedFrameNumber !== undefined ? { ReferencedFrameNumber: slice.referencedFrameNumber } : {}),
                PurposeOfReferenceCodeSequence: [DerivationCodes.sourceImageForProcessing],
              },
            ],
          },
        ],
        FrameContentSequence: [{ DimensionIndexValues: [s + 1, z + 1] }],
        PlanePositionSequence: [{ ImagePositionPatient: [...slice.imagePositionPatient] }],
        SegmentIdentificationSequence: [{ ReferencedSegmentNumber: s + 1 }],
      });
    });
  });
  return groups;
}

/**
 * The Common Instance Reference Module lists each source instance once (PS3.3 C.12.2): one item per
 * classic slice, one for a whole multi-frame instance, whose frames the per-frame groups name.
 */
function referencedInstances(slices: SegWriteInput['sourceSlices']): Record<string, unknown>[] {
  const seen = new Map<string, Record<string, unknown>>();
  for (const slice of slices) {
    if (!seen.has(slice.sopInstanceUID)) seen.set(slice.sopInstanceUID, { ReferencedSOPClassUID: slice.sopClassUID, ReferencedSOPInstanceUID: slice.sopInstanceUID });
  }
  return [...seen.values()];
}

function checkSpacing(input: SegWriteInput, orientation: number[], seriesUID: string): number {
  const positions = input.sourceSlices.map((slice, i) => {
    const p = slice.imagePositionPatient;
    if (p.length !== 3 || p.some((v) => !Number.isFinite(v))) throw new SegWriteError(`SEG source slice ${i} (${slice.sopInstanceUID}) has no valid ImagePositionPatient`);
    return p;
  });
  if (positions.length === 1) {
    const thickness = Number(input.header.SliceThickness);
    if (thickness > 0) return thickness;
    throw new SegWriteError(`SEG of the single-slice series ${seriesUID} needs SliceThickness in the header`);
  }
  const spacing = spacingBetweenSlices(positions, sliceNormal(orientation));
  if (spacing === undefined) throw new SegWriteError(`SEG source slices of series ${seriesUID} are not in volume order (positions along the normal must step one way without duplicates)`);
  return spacing;
}

function requireNumber(header: Readonly<Record<string, unknown>>, keyword: string): number {
  const value = Number(Array.isArray(header[keyword]) ? (header[keyword] as unknown[])[0] : header[keyword]);
  if (!Number.isInteger(value) || value <= 0) throw new SegWriteError(`SEG source header lacks a positive ${keyword}`);
  return value;
}

function requireNumbers(header: Readonly<Record<string, unknown>>, keyword: string, count: number): number[] {
  const value = header[keyword];
  const numbers = Array.isArray(value) ? value.map(Number) : [];
  if (numbers.length !== count || numbers.some((n) => !Number.isFinite(n))) throw new SegWriteError(`SEG source header lacks ${keyword} with ${count} numbers`);
  return numbers;
}

function requireUid(header: Readonly<Record<string, unknown>>, keyword: string): string {
  const value = header[keyword];
  if (typeof value !== 'string' || !isValidUid(value)) throw new SegWriteError(`SEG source header lacks a valid ${keyword}`);
  return value;
}


