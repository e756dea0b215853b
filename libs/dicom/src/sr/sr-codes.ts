import type { CodedConcept } from '../seg/seg-codes';

const dcm = (CodeValue: string, CodeMeaning: string): CodedConcept => ({ CodeValue, CodingSchemeDesignator: 'DCM', CodeMeaning });
const sct = (CodeValue: string, CodeMeaning: string): CodedConcept => ({ CodeValue, CodingSchemeDesignator: 'SCT', CodeMeaning });
const ucum = (CodeValue: string, CodeMeaning: string): CodedConcept => ({ CodeValue, CodingSchemeDesignator: 'UCUM', CodeMeaning });

/**
 * Concept names of the TID 1500 Measurement Report we write (PS3.16). DCM codes are from PS3.16
 * Annex D ("DICOM Controlled Terminology Definitions"); SCT from SNOMED CT as PS3.16 uses it; UCUM
 * units from the UCUM specification (CID 7181 / CID 82). docs/CONTRACTS.md lists them with their sources.
 */
export const SrCodes = {
  /** TID 1500 root. */
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  /** TID 1204 Language of Content Item and Descendants. */
  languageOfContent: dcm('121049', 'Language of Content Item and Descendants'),
  englishUS: { CodeValue: 'en-US', CodingSchemeDesignator: 'RFC5646', CodeMeaning: 'English (United States)' } as CodedConcept,
  /** TID 1001 Observation Context / TID 1004 Device Observer Identifying Attributes. */
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  deviceObserverSerialNumber: dcm('121016', 'Device Observer Serial Number'),
  /** TID 1500 row 4, value from CID 100 "Quantitative Diagnostic Imaging Procedures": LOINC 24627-2 "CT Chest". */
  procedureReported: dcm('121058', 'Procedure reported'),
  ctChest: { CodeValue: '24627-2', CodingSchemeDesignator: 'LN', CodeMeaning: 'CT Chest' } as CodedConcept,
  /** TID 1600 Image Library. */
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  /** TID 1500 row 6 / TID 1411 Volumetric ROI Measurements. */
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUniqueIdentifier: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  findingSite: sct('363698007', 'Finding Site'),
  referencedSegment: dcm('121191', 'Referenced Segment'),
  sourceSeriesForSegmentation: dcm('121232', 'Source series for segmentation'),
  /** TID 4019 Algorithm Identification. */
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  /** TID 1419 ROI Measurements: the volume (SCT 118565006, CID 7470 / CID 7469). */
  volume: sct('118565006', 'Volume'),
  /** Finding sites: CID 4 "Anatomic Region" (lung) and SCT's lateralised lungs. */
  lung: sct('39607008', 'Lung'),
  rightLung: sct('3341006', 'Right lung'),
  leftLung: sct('44029006', 'Left lung'),
  milliliter: ucum('ml', 'milliliter'),
  percent: ucum('%', 'percent'),
  /**
   * % of the lung involved by infection. No standard concept says "fraction of an organ's volume
   * occupied by a finding", so it is ours, under a private coding scheme (PS3.16 8.2: designators
   * beginning with "99" are private). docs/CONTRACTS.md states the convention.
   */
  lungInvolvement: { CodeValue: 'LUNGINVOLVED', CodingSchemeDesignator: '99COVSEG', CodeMeaning: 'Percent of lung volume involved' } as CodedConcept,
} as const;
