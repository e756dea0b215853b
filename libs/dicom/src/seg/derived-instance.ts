/**
 * The header every object we derive from a source image series starts with (SEG, SR, Secondary Capture):
 * SOP Common, the Patient and General Study modules copied from the source (PS3.3 C.7.1.1, C.7.2.1: Type 2
 * always present, possibly empty; the rest only when the source has them) and the new General Series.
 * One place, so the three writers cannot drift apart in what they copy or how they date an instance.
 */

/** Patient and study attributes of Type 2: always written, empty when the source lacks them. */
const COPIED_TYPE_2 = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber'];
/** Patient and study attributes written only when the source has a value. */
const COPIED_IF_PRESENT = ['SpecificCharacterSet', 'IssuerOfPatientID', 'PatientIdentityRemoved', 'DeidentificationMethod', 'StudyDescription', 'PatientAge'];

export interface DerivedInstanceInput {
  sopClassUID: string;
  sopInstanceUID: string;
  /** The source series' header (naturalized keywords). */
  header: Readonly<Record<string, unknown>>;
  studyInstanceUID: string;
  modality: string;
  seriesInstanceUID: string;
  seriesNumber: number;
  seriesDescription: string;
  now: Date;
}

export interface DerivedInstanceHeader {
  /** DA and TM of `now` in UTC (the instance says TimezoneOffsetFromUTC +0000). */
  date: string;
  time: string;
  attributes: Record<string, unknown>;
}

export function derivedInstanceHeader(input: DerivedInstanceInput): DerivedInstanceHeader {
  const iso = input.now.toISOString();
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 19).replace(/:/g, '');
  const attributes: Record<string, unknown> = {
    SOPClassUID: input.sopClassUID,
    SOPInstanceUID: input.sopInstanceUID,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    TimezoneOffsetFromUTC: '+0000',
  };
  for (const keyword of COPIED_TYPE_2) attributes[keyword] = input.header[keyword] ?? '';
  for (const keyword of COPIED_IF_PRESENT) if (input.header[keyword] !== undefined && input.header[keyword] !== '') attributes[keyword] = input.header[keyword];
  Object.assign(attributes, {
    StudyInstanceUID: input.studyInstanceUID,
    Modality: input.modality,
    SeriesInstanceUID: input.seriesInstanceUID,
    SeriesNumber: input.seriesNumber,
    SeriesDate: date,
    SeriesTime: time,
    // LO: at most 64 characters (PS3.5 6.2).
    SeriesDescription: input.seriesDescription.slice(0, 64),
  });
  return { date, time, attributes };
}
