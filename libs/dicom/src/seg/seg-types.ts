import type { AiProvenance } from '../provenance/ai-provenance';
import type { CodedConcept } from './seg-codes';

/** One source image of the segmented series, in volume order. */
export interface SegSourceSlice {
  sopInstanceUID: string;
  sopClassUID: string;
  /** ImagePositionPatient: LPS, mm, centre of the first transmitted pixel. */
  imagePositionPatient: readonly number[];
  /**
   * 1-based frame of a multi-frame source image (Enhanced CT), written as ReferencedFrameNumber
   * (PS3.3 Table 10-3: required when the referenced instance is multi-frame); absent for single-frame.
   */
  referencedFrameNumber?: number;
}

/** One segment to write. */
export interface SegSegmentInput {
  /** SegmentLabel, e.g. "COVID-19 infection". */
  label: string;
  description?: string;
  category: CodedConcept;
  type: CodedConcept;
  anatomicRegion?: CodedConcept;
  /** Display colour as sRGB 0..255; converted to RecommendedDisplayCIELabValue. Give this or `recommendedDisplayCIELab`. */
  recommendedDisplayRgb?: readonly [number, number, number];
  /** Display colour already in DICOM-scaled CIELab (0..65535 each). */
  recommendedDisplayCIELab?: readonly [number, number, number];
  /**
   * The mask, one byte per voxel, 0 or 1, slice-major in the order of `sourceSlices`
   * (`z * rows * columns + y * columns + x`). Read, never modified or kept.
   */
  labelmap: Uint8Array;
  /**
   * 'binary' (default): `labelmap` must hold only 0 and 1, anything else is refused (a probability map
   * or a label array passed by mistake). 'non-zero': every non-zero value is in the segment, for a
   * label array that codes more than the segment (e.g. lung sides 1 and 2), packed without a 0/1 copy.
   * `{ equals: n }`: the voxels whose value is n (1..255), for one class of a label array (e.g. the
   * consolidation label 2 of a multi-class infection), also packed without a volume-sized copy.
   */
  labelmapValues?: 'binary' | 'non-zero' | { equals: number };
  /** Algorithm that produced this segment; defaults to the input's `algorithm`. */
  algorithmName?: string;
  algorithmVersion?: string;
  /** SegmentAlgorithmType of this segment; defaults to the input's `algorithmType`. */
  algorithmType?: SegAlgorithmType;
}

/**
 * PS3.3 C.8.20.2.3 SegmentAlgorithmType: AUTOMATIC (calculated), SEMIAUTOMATIC (calculated with user
 * assistance, e.g. an AI mask a reader corrected), MANUAL (drawn by a user).
 */
export type SegAlgorithmType = 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';
export const SEG_ALGORITHM_TYPES: readonly SegAlgorithmType[] = ['AUTOMATIC', 'SEMIAUTOMATIC', 'MANUAL'];

/** The SEG a new SEG was derived from (a reader's correction of an AI SEG), in the same study. */
export interface SegDerivedFrom {
  seriesInstanceUID: string;
  sopInstanceUID: string;
  /** Defaults to Segmentation Storage. */
  sopClassUID?: string;
  /** DerivationDescription (ST, at most 1024 characters), e.g. "Reader correction of SEG <uid>"; never patient data. */
  description: string;
}

/** Everything `writeBinarySeg` needs. The source buffers are only read. */
export interface SegWriteInput {
  /** Source images in volume order; frame k of each segment references `sourceSlices[k]`. */
  sourceSlices: readonly SegSourceSlice[];
  /**
   * Naturalized dataset of one source slice (DICOM keywords verbatim), for the patient and study modules,
   * SeriesInstanceUID, FrameOfReferenceUID, PixelSpacing, ImageOrientationPatient, SliceThickness, Rows, Columns.
   */
  header: Readonly<Record<string, unknown>>;
  segments: readonly SegSegmentInput[];
  /** The model: goes into SeriesDescription, SegmentAlgorithmName and ContributingEquipmentSequence. */
  algorithm: { name: string; version: string };
  seriesNumber?: number;
  /** Defaults to "<name> <version> segmentation". */
  seriesDescription?: string;
  /** Defaults to "SEGMENTATION" (CS: upper case, digits, space, underscore; at most 16 characters). */
  contentLabel?: string;
  contentDescription?: string;
  /** PN, e.g. "covseg^automatic". */
  contentCreatorName?: string;
  /** IHE AI Results provenance (Device UID, model name, versions); replaces `equipment` when given. */
  provenance?: AiProvenance;
  /** SegmentAlgorithmType of every segment that does not set its own; defaults to AUTOMATIC. */
  algorithmType?: SegAlgorithmType;
  /**
   * The SEG this one derives from. It is referenced in SourceImageSequence (PS3.3 C.7.6.1, General Image)
   * with DerivationDescription, and listed in ReferencedSeriesSequence (C.12.2 Common Instance Reference,
   * which lists every instance of the study this one references), after the source series.
   */
  derivedFrom?: SegDerivedFrom;
  equipment?: { manufacturer?: string; manufacturerModelName?: string; deviceSerialNumber?: string; softwareVersions?: string };
  /** Given UIDs are used as is (e.g. for idempotent re-runs); otherwise new 2.25 UIDs are generated. */
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
  instanceNumber?: number;
  /** The content date and time; defaults to now. Written in UTC with TimezoneOffsetFromUTC +0000. */
  now?: Date;
}

export interface SegWriteResult {
  /** The Part 10 file, Explicit VR Little Endian; owned by the caller. */
  bytes: Uint8Array;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  numberOfFrames: number;
}

/** One segment read back from a SEG. */
export interface SegReadSegment {
  segmentNumber: number;
  label: string;
  description: string | undefined;
  category: CodedConcept | undefined;
  type: CodedConcept | undefined;
  algorithmType: string | undefined;
  algorithmName: string | undefined;
  /** RecommendedDisplayCIELabValue as stored (0..65535 each), if present. */
  recommendedDisplayCIELab: [number, number, number] | undefined;
  /** The same colour in sRGB 0..255 for the viewer, if present. */
  recommendedDisplayRgb: [number, number, number] | undefined;
  /** 0/1 per voxel, slice-major in the order of the result's `slices`; a new buffer owned by the caller. */
  labelmap: Uint8Array;
}

export interface SegReadResult {
  sopInstanceUID: string;
  seriesInstanceUID: string;
  studyInstanceUID: string;
  frameOfReferenceUID: string | undefined;
  segmentationType: 'BINARY' | 'FRACTIONAL';
  rows: number;
  columns: number;
  /**
   * The slices the labelmaps are aligned to: the `source` passed to readSeg, or, without one, the
   * distinct frame positions of the SEG sorted along the slice normal (slices without frames are then absent).
   */
  slices: SegSourceSlice[];
  segments: SegReadSegment[];
}
