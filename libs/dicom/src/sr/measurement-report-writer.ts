import { provenanceAttributes, requireProvenance } from '../provenance/ai-provenance';
import type { CodedConcept } from '../seg/seg-codes';
import { SegWriteError } from '../seg/seg-errors';
import { derivedInstanceHeader } from '../seg/derived-instance';
import { encodePart10 } from '../seg/part10-encoder';
import { SEGMENTATION_STORAGE } from '../seg/seg-writer';
import { isValidUid, newUid } from '../seg/uid';
import { SrCodes } from './sr-codes';
import type { MeasurementGroupInput, MeasurementReportInput, MeasurementReportResult } from './sr-types';

export const COMPREHENSIVE_3D_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.34';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** The same implementation UID as the SEG writer's (one implementation, PS3.7 D.3.3.2). */
const IMPLEMENTATION_CLASS_UID = '2.25.178452374593485719026382946101183466512';


type Item = Record<string, unknown>;

/**
 * Encodes a TID 1500 "Imaging Measurement Report" (PS3.16) as a Comprehensive 3D SR (PS3.3 A.35.13):
 * one TID 1411 Volumetric ROI measurement group per `groups` entry, each referencing its SEG segment
 * (Referenced Segment) and the source series, with the volume in UCUM ml and, on finding groups, the
 * derived % of lung involved. TID 1001/1004 name the model as the Device observer (its Device UID),
 * TID 4019 names the algorithm in every group, and the Contributing Equipment Sequence carries the
 * IHE AI Results provenance. Every referenced instance is listed in CurrentRequestedProcedureEvidenceSequence
 * (PS3.3 C.17.2.3).
 * @throws SegWriteError when a UID, a header attribute, a group or the provenance is invalid. Messages carry UIDs only.
 */
export function writeMeasurementReport(input: MeasurementReportInput): MeasurementReportResult {
  const header = input.header;
  const studyInstanceUID = requireUid(header.StudyInstanceUID, 'source StudyInstanceUID');
  const sourceSeriesUID = requireUid(header.SeriesInstanceUID, 'source SeriesInstanceUID');
  requireUid(input.seg.sopInstanceUID, 'SEG SOPInstanceUID');
  requireUid(input.seg.seriesInstanceUID, 'SEG SeriesInstanceUID');
  requireProvenance(input.provenance, `SR of series ${sourceSeriesUID}`);
  if (input.sourceSlices.length === 0) throw new SegWriteError(`SR of series ${sourceSeriesUID} needs the source slices`);
  if (input.groups.length === 0) throw new SegWriteError(`SR of series ${sourceSeriesUID} needs at least one measurement group`);
  const identifiers = new Set<string>();
  for (const group of input.groups) checkGroup(group, identifiers, sourceSeriesUID);
  const seriesInstanceUID = requireUid(input.seriesInstanceUID ?? newUid(), 'SR SeriesInstanceUID');
  const sopInstanceUID = requireUid(input.sopInstanceUID ?? newUid(), 'SR SOPInstanceUID');

  const { provenance, algorithm } = input;
  const { date, time, attributes } = derivedInstanceHeader({
    sopClassUID: COMPREHENSIVE_3D_SR_STORAGE,
    sopInstanceUID,
    header,
    studyInstanceUID,
    modality: 'SR',
    seriesInstanceUID,
    seriesNumber: input.seriesNumber ?? 902,
    seriesDescription: input.seriesDescription ?? `${algorithm.name} ${algorithm.version} measurements`,
    now: input.now ?? new Date(),
  });

  const dataset: Item = {
    ...attributes,
    ReferencedPerformedProcedureStepSequence: [],
    ...provenanceAttributes(provenance, `${date}${time}+0000`, `Automatic measurement by ${algorithm.name} ${algorithm.version}`),
    InstanceNumber: 1,
    CompletionFlag: 'COMPLETE',
    // Nobody signed it: an automatic result (PS3.3 C.17.2.1).
    VerificationFlag: 'UNVERIFIED',
    ContentDate: date,
    ContentTime: time,
    PerformedProcedureCodeSequence: [],
    ...(input.predecessors?.length
      ? {
          PredecessorDocumentsSequence: input.predecessors.map((p) => ({
            StudyInstanceUID: p.studyInstanceUID,
            ReferencedSeriesSequence: [{ SeriesInstanceUID: p.seriesInstanceUID, ReferencedSOPSequence: [{ ReferencedSOPClassUID: p.sopClassUID, ReferencedSOPInstanceUID: p.sopInstanceUID }] }],
          })),
        }
      : {}),
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: studyInstanceUID,
        ReferencedSeriesSequence: [
          { SeriesInstanceUID: sourceSeriesUID, ReferencedSOPSequence: input.sourceSlices.map((s) => ({ ReferencedSOPClassUID: s.sopClassUID, ReferencedSOPInstanceUID: s.sopInstanceUID })) },
          { SeriesInstanceUID: input.seg.seriesInstanceUID, ReferencedSOPSequence: [{ ReferencedSOPClassUID: SEGMENTATION_STORAGE, ReferencedSOPInstanceUID: input.seg.sopInstanceUID }] },
        ],
      },
    ],
    // SR Document Content (PS3.3 C.17.3): the root CONTAINER, with the template it follows (TID 1500, DCMR).
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [SrCodes.imagingMeasurementReport],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContentSequence: [
      code('HAS CONCEPT MOD', SrCodes.languageOfContent, SrCodes.englishUS),
      code('HAS OBS CONTEXT', SrCodes.observerType, SrCodes.device),
      uidref('HAS OBS CONTEXT', SrCodes.deviceObserverUid, provenance.deviceUID),
      text('HAS OBS CONTEXT', SrCodes.deviceObserverName, `${algorithm.name} ${algorithm.version}`),
      text('HAS OBS CONTEXT', SrCodes.deviceObserverManufacturer, provenance.manufacturer),
      text('HAS OBS CONTEXT', SrCodes.deviceObserverModelName, provenance.manufacturerModelName),
      text('HAS OBS CONTEXT', SrCodes.deviceObserverSerialNumber, provenance.deviceSerialNumber),
      code('HAS CONCEPT MOD', SrCodes.procedureReported, SrCodes.ctChest),
      container('CONTAINS', SrCodes.imageLibrary, [
        container(
          'CONTAINS',
          SrCodes.imageLibraryGroup,
          input.sourceSlices.map((s) => image('CONTAINS', undefined, s.sopClassUID, s.sopInstanceUID)),
        ),
      ]),
      container(
        'CONTAINS',
        SrCodes.imagingMeasurements,
        input.groups.map((group) => measurementGroup(group, input, sourceSeriesUID)),
      ),
    ],
  };

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]),
    MediaStorageSOPClassUID: COMPREHENSIVE_3D_SR_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'COVSEG_1',
  };
  return { bytes: encodePart10(meta, dataset), seriesInstanceUID, sopInstanceUID };
}

/** TID 1411 Volumetric ROI Measurements, with TID 4019 and the TID 1419 NUMs. */
function measurementGroup(group: MeasurementGroupInput, input: MeasurementReportInput, sourceSeriesUID: string): Item {
  return container('CONTAINS', SrCodes.measurementGroup, [
    text('HAS OBS CONTEXT', SrCodes.trackingIdentifier, group.trackingIdentifier),
    uidref('HAS OBS CONTEXT', SrCodes.trackingUniqueIdentifier, group.trackingUid ?? newUid()),
    code('CONTAINS', SrCodes.finding, group.finding),
    image('CONTAINS', SrCodes.referencedSegment, SEGMENTATION_STORAGE, input.seg.sopInstanceUID, group.segmentNumber),
    uidref('CONTAINS', SrCodes.sourceSeriesForSegmentation, sourceSeriesUID),
    code('HAS CONCEPT MOD', SrCodes.findingSite, group.findingSite),
    text('HAS CONCEPT MOD', SrCodes.algorithmName, input.algorithm.name),
    text('HAS CONCEPT MOD', SrCodes.algorithmVersion, input.algorithm.version),
    num('CONTAINS', SrCodes.volume, group.volumeMl, SrCodes.milliliter),
    ...(group.involvementPercent !== undefined ? [num('CONTAINS', SrCodes.lungInvolvement, group.involvementPercent, SrCodes.percent)] : []),
  ]);
}

function checkGroup(group: MeasurementGroupInput, identifiers: Set<string>, seriesUID: string): void {
  const what = `SR of series ${seriesUID}, group "${group.trackingIdentifier.slice(0, 64)}"`;
  if (!group.trackingIdentifier || group.trackingIdentifier.length > 64) throw new SegWriteError(`${what}: Tracking Identifier must be 1-64 characters`);
  if (identifiers.has(group.trackingIdentifier)) throw new SegWriteError(`${what}: Tracking Identifier is not unique`);
  identifiers.add(group.trackingIdentifier);
  if (!Number.isInteger(group.segmentNumber) || group.segmentNumber < 1 || group.segmentNumber > 0xffff) throw new SegWriteError(`${what}: segment number must be 1-65535`);
  if (!Number.isFinite(group.volumeMl) || group.volumeMl < 0) throw new SegWriteError(`${what}: volume must be a finite number of mL ≥ 0`);
  if (group.involvementPercent !== undefined && !(Number.isFinite(group.involvementPercent) && group.involvementPercent >= 0 && group.involvementPercent <= 100)) {
    throw new SegWriteError(`${what}: % involvement must be within 0-100`);
  }
  if (group.trackingUid !== undefined) requireUid(group.trackingUid, `${what}: Tracking Unique Identifier`);
}

const codeSeq = (concept: CodedConcept) => [{ CodeValue: concept.CodeValue, CodingSchemeDesignator: concept.CodingSchemeDesignator, CodeMeaning: concept.CodeMeaning }];

function container(relationship: string, concept: CodedConcept, children: Item[]): Item {
  return { RelationshipType: relationship, ValueType: 'CONTAINER', ConceptNameCodeSequence: codeSeq(concept), ContinuityOfContent: 'SEPARATE', ContentSequence: children };
}

function code(relationship: string, concept: CodedConcept, value: CodedConcept): Item {
  return { RelationshipType: relationship, ValueType: 'CODE', ConceptNameCodeSequence: codeSeq(concept), ConceptCodeSequence: codeSeq(value) };
}

function text(relationship: string, concept: CodedConcept, value: string): Item {
  return { RelationshipType: relationship, ValueType: 'TEXT', ConceptNameCodeSequence: codeSeq(concept), TextValue: value };
}

function uidref(relationship: string, concept: CodedConcept, value: string): Item {
  return { RelationshipType: relationship, ValueType: 'UIDREF', ConceptNameCodeSequence: codeSeq(concept), UID: value };
}

/** NumericValue is DS (16 characters); the value is rounded to 3 decimals first, as the job reports it. */
function num(relationship: string, concept: CodedConcept, value: number, units: CodedConcept): Item {
  return {
    RelationshipType: relationship,
    ValueType: 'NUM',
    ConceptNameCodeSequence: codeSeq(concept),
    MeasuredValueSequence: [{ NumericValue: Math.round(value * 1000) / 1000, MeasurementUnitsCodeSequence: codeSeq(units) }],
  };
}

function image(relationship: string, concept: CodedConcept | undefined, sopClassUID: string, sopInstanceUID: string, segmentNumber?: number): Item {
  return {
    RelationshipType: relationship,
    ValueType: 'IMAGE',
    ...(concept ? { ConceptNameCodeSequence: codeSeq(concept) } : {}),
    ReferencedSOPSequence: [{ ReferencedSOPClassUID: sopClassUID, ReferencedSOPInstanceUID: sopInstanceUID, ...(segmentNumber !== undefined ? { ReferencedSegmentNumber: segmentNumber } : {}) }],
  };
}

function requireUid(value: unknown, what: string): string {
  if (typeof value !== 'string' || !isValidUid(value)) throw new SegWriteError(`SR ${what} is not a valid UID`);
  return value;
}
