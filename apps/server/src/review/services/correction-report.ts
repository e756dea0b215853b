import { createHash } from 'node:crypto';
import {
  deviceUidFromDigest,
  SegmentCodes,
  SrCodes,
  writeMeasurementReport,
  type AiProvenance,
  type CodedConcept,
  type MeasurementGroupInput,
  type MeasurementReportResult,
  type SegSourceSlice,
} from '@covseg/dicom';
import { RESULT_MANUFACTURER, SERVER_VERSION } from '../../jobs/pipeline/result-provenance';
import type { CorrectionRecord } from '../repositories/correction.repository';
import { uidFromDigest } from './correction-masks';

/** SeriesNumber of a correction's SR (the AI's SEG, SR and key images are 9000-9002, a corrected SEG 9001). */
const CORRECTION_SR_SERIES_NUMBER = 9004;
/** The review tool's name in the SR's provenance: the reader made the mask, our software measured it. */
const REVIEW_TOOL = 'covseg-review';
/** SCT 49755003: the category of lesion segments; SCT 39607008: the type of lung segments. */
const LESION_CATEGORY = '49755003';
const LUNG_TYPE = '39607008';

/** What the report needs of each segment of the corrected SEG (as read from the SEG being corrected). */
export interface CorrectedSegment {
  segmentNumber: number;
  label: string;
  category: CodedConcept | undefined;
  type: CodedConcept | undefined;
}

/**
 * The TID 1500 measurement report of a saved correction, as the job writes one for the AI result (PS3.16
 * TID 1500; libs/dicom writeMeasurementReport): one group per lesion segment (volume and % of the lung)
 * and one for the lung, all referencing the corrected SEG, with the figures our records hold. Its UIDs
 * and its content date derive from the correction itself (digest, creation time), so building it again
 * for a retried store gives the same object, which replaces rather than duplicates (PS3.4 B.4.1).
 * SeriesDescription `Corrected: <model> <version> measurements`: never `<model> <version> measurements`,
 * or a job would take the reader's report for an AI result (jobs/result-series.ts OUR_SR_DESCRIPTION).
 */
export function encodeCorrectionReport(input: {
  record: CorrectionRecord;
  /** Naturalized dataset of one source slice (patient, study, SeriesInstanceUID). */
  header: Readonly<Record<string, unknown>>;
  sourceSlices: readonly SegSourceSlice[];
  segments: readonly CorrectedSegment[];
  /** The corrected AI's algorithm, e.g. { name: 'covseg-unet', version: '1.1.0' }. */
  algorithm: { name: string; version: string };
}): MeasurementReportResult {
  const { record, algorithm } = input;
  return writeMeasurementReport({
    header: input.header,
    sourceSlices: input.sourceSlices,
    seg: { seriesInstanceUID: record.segSeriesInstanceUID, sopInstanceUID: record.segSopInstanceUID },
    groups: correctionGroups(input.segments, record.quantification),
    algorithm,
    provenance: reviewToolProvenance(algorithm.version),
    seriesInstanceUID: uidFromDigest(record.contentSha256, 'sr-series'),
    sopInstanceUID: uidFromDigest(record.contentSha256, 'sr-sop'),
    seriesNumber: CORRECTION_SR_SERIES_NUMBER,
    seriesDescription: `Corrected: ${algorithm.name} ${algorithm.version}`.slice(0, 64 - 13) + ' measurements',
    now: new Date(record.createdAt),
  });
}

/** Groups from the corrected figures: lesion segments (finding = their type, % of the union of lung segments), then lung. */
export function correctionGroups(segments: readonly CorrectedSegment[], q: CorrectionRecord['quantification']): MeasurementGroupInput[] {
  const volumeOf = (segmentNumber: number) => q.segments.find((s) => s.segmentNumber === segmentNumber)?.volumeMl ?? 0;
  const lesions = segments.filter((s) => s.category?.CodeValue === LESION_CATEGORY);
  const lungs = segments.filter((s) => s.type?.CodeValue === LUNG_TYPE);
  const groups: MeasurementGroupInput[] = lesions.map((s) => ({
    trackingIdentifier: lesions.length === 1 ? 'Infection' : `Infection: ${s.label}`.slice(0, 64),
    segmentNumber: s.segmentNumber,
    finding: s.type ?? SegmentCodes.lesion,
    findingSite: SrCodes.lung,
    volumeMl: volumeOf(s.segmentNumber),
    ...(q.lungMl ? { involvementPercent: Math.min(100, (volumeOf(s.segmentNumber) / q.lungMl) * 100) } : {}),
  }));
  // One lung group per lung segment; the usual single one carries the union figure our records hold.
  for (const s of lungs) {
    groups.push({
      trackingIdentifier: lungs.length === 1 ? 'Lung' : `Lung: ${s.label}`.slice(0, 64),
      segmentNumber: s.segmentNumber,
      finding: SegmentCodes.lung,
      findingSite: SrCodes.lung,
      volumeMl: lungs.length === 1 && q.lungMl !== null ? q.lungMl : volumeOf(s.segmentNumber),
    });
  }
  return groups;
}

/**
 * IHE AIR provenance of a correction's report: our review tool measured a reader's mask. ManufacturerModelName
 * is the tool, SoftwareVersions [corrected model's version, server version]; the Device UID derives from
 * the tool and server version, so it differs from every model's.
 */
function reviewToolProvenance(modelVersion: string): AiProvenance {
  const digest = createHash('sha256').update(`${REVIEW_TOOL} ${SERVER_VERSION}`).digest('hex');
  return {
    manufacturer: RESULT_MANUFACTURER,
    manufacturerModelName: REVIEW_TOOL,
    softwareVersions: [(modelVersion || 'unknown').slice(0, 64), `covseg-server ${SERVER_VERSION}`],
    deviceUID: deviceUidFromDigest(digest),
    deviceSerialNumber: digest.slice(0, 16),
  };
}
