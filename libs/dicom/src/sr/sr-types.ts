import type { AiProvenance } from '../provenance/ai-provenance';
import type { CodedConcept } from '../seg/seg-codes';
import type { SegSourceSlice } from '../seg/seg-types';

/** One TID 1411 Volumetric ROI measurement group: the volume of one SEG segment, in one region. */
export interface MeasurementGroupInput {
  /** Tracking Identifier (TEXT), e.g. "Infection, right lung"; unique within the report. */
  trackingIdentifier: string;
  /** Tracking Unique Identifier (UIDREF); a new UID when absent. */
  trackingUid?: string;
  /** The SEG segment measured (Referenced Segment). */
  segmentNumber: number;
  /** What the segment is (the segment's SegmentedPropertyType, e.g. SCT Lesion or SCT Lung). */
  finding: CodedConcept;
  /** Where: lung, right lung or left lung. */
  findingSite: CodedConcept;
  /** mL, ≥ 0. */
  volumeMl: number;
  /** Derived: this group's volume / the lung volume of the same site × 100; only on finding groups. */
  involvementPercent?: number;
}

/** A document this report replaces (SR Document General, PS3.3 C.17.2 Predecessor Documents Sequence). */
export interface PredecessorDocument {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  sopClassUID: string;
}

/** Everything `writeMeasurementReport` needs. Buffers and arrays are only read. */
export interface MeasurementReportInput {
  /** Naturalized dataset of one source slice: the patient and study attributes, StudyInstanceUID, SeriesInstanceUID. */
  header: Readonly<Record<string, unknown>>;
  /** The segmented images (evidence and image library). */
  sourceSlices: readonly SegSourceSlice[];
  /** The SEG whose segments the groups measure. */
  seg: { seriesInstanceUID: string; sopInstanceUID: string };
  groups: readonly MeasurementGroupInput[];
  /** TID 4019 Algorithm Identification. */
  algorithm: { name: string; version: string };
  provenance: AiProvenance;
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  /** Reports this one supersedes (a forced re-run); they go into PredecessorDocumentsSequence. */
  predecessors?: readonly PredecessorDocument[];
  now?: Date;
}

export interface MeasurementReportResult {
  /** The Part 10 file, Explicit VR Little Endian; owned by the caller. */
  bytes: Uint8Array;
  seriesInstanceUID: string;
  sopInstanceUID: string;
}

/** One measurement group read back from a report. */
export interface MeasurementGroup {
  trackingIdentifier: string;
  trackingUid: string | undefined;
  segSopInstanceUID: string | undefined;
  segmentNumber: number | undefined;
  finding: CodedConcept | undefined;
  findingSite: CodedConcept | undefined;
  /** mL; undefined when the group has no volume in ml. */
  volumeMl: number | undefined;
  involvementPercent: number | undefined;
}

/** A TID 1500 report read back (ours or anyone's that follows the template). */
export interface MeasurementReport {
  sopInstanceUID: string;
  seriesInstanceUID: string;
  studyInstanceUID: string;
  seriesDescription: string;
  /** The device that made the report (TID 1004 Device Observer UID), if given. */
  deviceObserverUid: string | undefined;
  /** DeviceUID of the ContributingEquipmentSequence items. */
  contributingDeviceUids: string[];
  algorithmName: string | undefined;
  algorithmVersion: string | undefined;
  /** SOP Instance UIDs of reports this one supersedes. */
  predecessorSopInstanceUIDs: string[];
  /** Source series of the segmentation (UIDREF in the groups). */
  sourceSeriesInstanceUIDs: string[];
  groups: MeasurementGroup[];
}
