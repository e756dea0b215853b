import { data } from 'dcmjs';
import type { CodedConcept } from '../seg/seg-codes';
import { SegReadError } from '../seg/seg-errors';
import { SrCodes } from './sr-codes';
import type { MeasurementGroup, MeasurementReport } from './sr-types';

type Item = Record<string, unknown>;

/**
 * Reads a TID 1500 Measurement Report (any SR SOP class) from a naturalized dataset (dcmjs keywords,
 * as parseDicom or naturalizeDicomJson return it): its observer device, algorithm and measurement groups.
 * Concepts are matched by code value and scheme, never by meaning. Volumes count only in UCUM ml,
 * % involvement only in UCUM %; a group with other units reads as undefined there.
 * @throws SegReadError when the dataset is not an SR Imaging Measurement Report.
 */
export function readMeasurementReport(dataset: Readonly<Item>): MeasurementReport {
  const sopInstanceUID = String(dataset.SOPInstanceUID ?? '');
  if (dataset.Modality !== 'SR' || dataset.ValueType !== 'CONTAINER') throw new SegReadError(`Instance ${sopInstanceUID} is not a structured report`);
  if (!sameCode(firstCode(dataset.ConceptNameCodeSequence), SrCodes.imagingMeasurementReport)) throw new SegReadError(`SR ${sopInstanceUID} is not an Imaging Measurement Report (TID 1500)`);
  const root = items(dataset.ContentSequence);
  const measurements = root.find((i) => i.ValueType === 'CONTAINER' && is(i, SrCodes.imagingMeasurements));
  const groups = items(measurements?.ContentSequence).filter((i) => i.ValueType === 'CONTAINER' && is(i, SrCodes.measurementGroup)).map(readGroup);
  const firstGroup = items(measurements?.ContentSequence)[0];
  const groupItems = items(firstGroup?.ContentSequence);
  return {
    sopInstanceUID,
    seriesInstanceUID: String(dataset.SeriesInstanceUID ?? ''),
    studyInstanceUID: String(dataset.StudyInstanceUID ?? ''),
    seriesDescription: String(dataset.SeriesDescription ?? ''),
    deviceObserverUid: valueOf(root, SrCodes.deviceObserverUid),
    contributingDeviceUids: items(dataset.ContributingEquipmentSequence)
      .map((i) => i.DeviceUID)
      .filter((u): u is string => typeof u === 'string'),
    algorithmName: valueOf(groupItems, SrCodes.algorithmName),
    algorithmVersion: valueOf(groupItems, SrCodes.algorithmVersion),
    predecessorSopInstanceUIDs: items(dataset.PredecessorDocumentsSequence).flatMap((study) =>
      items(study.ReferencedSeriesSequence).flatMap((series) => items(series.ReferencedSOPSequence).map((sop) => String(sop.ReferencedSOPInstanceUID ?? ''))),
    ),
    sourceSeriesInstanceUIDs: [...new Set(groups.flatMap((g) => g.sourceSeries))],
    groups: groups.map(({ sourceSeries: _, ...group }) => group),
  };
}

/**
 * `readMeasurementReport` of a Part 10 file.
 * @param bytes not modified or kept.
 * @throws SegReadError when the bytes are not a readable DICOM file or not a TID 1500 report.
 */
export function readMeasurementReportFile(bytes: Uint8Array): MeasurementReport {
  let dataset: Item;
  try {
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    dataset = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(copy as ArrayBuffer).dict) as Item;
  } catch (cause) {
    throw new SegReadError('SR is not a readable DICOM Part 10 file', undefined, { cause });
  }
  return readMeasurementReport(dataset);
}

function readGroup(group: Item): MeasurementGroup & { sourceSeries: string[] } {
  const children = items(group.ContentSequence);
  const segment = children.find((i) => i.ValueType === 'IMAGE' && is(i, SrCodes.referencedSegment));
  const sop = items(segment?.ReferencedSOPSequence)[0];
  const segmentNumber = Array.isArray(sop?.ReferencedSegmentNumber) ? sop.ReferencedSegmentNumber[0] : sop?.ReferencedSegmentNumber;
  return {
    trackingIdentifier: valueOf(children, SrCodes.trackingIdentifier) ?? '',
    trackingUid: valueOf(children, SrCodes.trackingUniqueIdentifier),
    segSopInstanceUID: sop?.ReferencedSOPInstanceUID !== undefined ? String(sop.ReferencedSOPInstanceUID) : undefined,
    segmentNumber: segmentNumber !== undefined ? Number(segmentNumber) : undefined,
    finding: codeValueOf(children, SrCodes.finding),
    findingSite: codeValueOf(children, SrCodes.findingSite),
    volumeMl: numberOf(children, SrCodes.volume, SrCodes.milliliter),
    involvementPercent: numberOf(children, SrCodes.lungInvolvement, SrCodes.percent),
    sourceSeries: children.filter((i) => i.ValueType === 'UIDREF' && is(i, SrCodes.sourceSeriesForSegmentation)).map((i) => String(i.UID ?? '')),
  };
}

function items(value: unknown): Item[] {
  if (Array.isArray(value)) return value.filter((v): v is Item => !!v && typeof v === 'object');
  // dcmjs naturalizes a one-item sequence to the item itself in some versions.
  return value && typeof value === 'object' ? [value as Item] : [];
}

function firstCode(value: unknown): CodedConcept | undefined {
  const item = items(value)[0];
  if (!item) return undefined;
  return { CodeValue: String(item.CodeValue ?? ''), CodingSchemeDesignator: String(item.CodingSchemeDesignator ?? ''), CodeMeaning: String(item.CodeMeaning ?? '') };
}

function sameCode(a: CodedConcept | undefined, b: CodedConcept): boolean {
  return !!a && a.CodeValue === b.CodeValue && a.CodingSchemeDesignator === b.CodingSchemeDesignator;
}

const is = (item: Item, concept: CodedConcept) => sameCode(firstCode(item.ConceptNameCodeSequence), concept);

/** TEXT or UIDREF value of the first child with this concept name. */
function valueOf(children: Item[], concept: CodedConcept): string | undefined {
  const item = children.find((i) => is(i, concept));
  const value = item?.ValueType === 'UIDREF' ? item.UID : item?.TextValue;
  return typeof value === 'string' ? value : undefined;
}

function codeValueOf(children: Item[], concept: CodedConcept): CodedConcept | undefined {
  const item = children.find((i) => i.ValueType === 'CODE' && is(i, concept));
  return item ? firstCode(item.ConceptCodeSequence) : undefined;
}

function numberOf(children: Item[], concept: CodedConcept, units: CodedConcept): number | undefined {
  const item = children.find((i) => i.ValueType === 'NUM' && is(i, concept));
  const measured = items(item?.MeasuredValueSequence)[0];
  if (!measured || !sameCode(firstCode(measured.MeasurementUnitsCodeSequence), units)) return undefined;
  const value = Number(Array.isArray(measured.NumericValue) ? measured.NumericValue[0] : measured.NumericValue);
  return Number.isFinite(value) ? value : undefined;
}
