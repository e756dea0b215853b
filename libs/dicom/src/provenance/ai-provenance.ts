import type { CodedConcept } from '../seg/seg-codes';
import { SegWriteError } from '../seg/seg-errors';
import { isValidUid } from '../seg/uid';

/**
 * Who made an AI result, as IHE AI Results (AIR) asks every SEG and SR to say: the manufacturer, the
 * model's name and software versions, and a Device UID that identifies this exact model build.
 */
export interface AiProvenance {
  /** Manufacturer (0008,0070), e.g. "covseg". */
  manufacturer: string;
  /** ManufacturerModelName (0008,1090): the model's name, e.g. "covseg-unet". */
  manufacturerModelName: string;
  /** SoftwareVersions (0018,1020), multi-valued: the model version first, then the server's. */
  softwareVersions: readonly string[];
  /** DeviceUID (0018,1002): changes whenever the model changes (see `deviceUidFromDigest`). */
  deviceUID: string;
  /** DeviceSerialNumber (0018,1000): here the start of the model file's SHA-256, so a build can be told apart by eye. */
  deviceSerialNumber: string;
}

/**
 * Purpose of reference of the Contributing Equipment item that names the AI algorithm. IHE Radiology
 * Technical Framework Supplement "AI Results (AIR)" Rev 1.1, section 6.5.x "Algorithm identification"
 * (Contributing Equipment Sequence): (Newcode1, 99IHE, "Processing Algorithm"). The same code MONAI
 * Deploy's DICOM SEG writer puts there. 99IHE is IHE's private coding scheme (PS3.16 8.2: "99" prefix).
 */
export const IHE_PROCESSING_ALGORITHM: CodedConcept = { CodeValue: 'Newcode1', CodingSchemeDesignator: '99IHE', CodeMeaning: 'Processing Algorithm' };

/**
 * A Device UID derived from a digest of the model file (e.g. its SHA-256 in hex): the first 128 bits
 * become an RFC 9562 version-8 UUID (version and variant bits set), written under the 2.25 root
 * (PS3.5 B.2). The same model file always gives the same UID; any other file gives another one.
 */
export function deviceUidFromDigest(hexDigest: string): string {
  if (!/^[0-9a-f]{32,}$/i.test(hexDigest)) throw new SegWriteError('Device UID needs a hex digest of at least 128 bits');
  const bytes = Buffer.from(hexDigest.slice(0, 32), 'hex');
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8: custom
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}

/** Checks a provenance before it goes into a dataset; builders call this in their own validation. */
export function requireProvenance(provenance: AiProvenance, what: string): void {
  if (!isValidUid(provenance.deviceUID)) throw new SegWriteError(`${what}: DeviceUID is not a valid UID: ${provenance.deviceUID.slice(0, 70)}`);
  for (const [keyword, value] of [['Manufacturer', provenance.manufacturer], ['ManufacturerModelName', provenance.manufacturerModelName], ['DeviceSerialNumber', provenance.deviceSerialNumber]] as const) {
    if (!value || value.length > 64 || value.includes('\\')) throw new SegWriteError(`${what}: ${keyword} must be 1-64 characters without a backslash`);
  }
  if (provenance.softwareVersions.length === 0 || provenance.softwareVersions.some((v) => !v || v.length > 64 || v.includes('\\'))) {
    throw new SegWriteError(`${what}: SoftwareVersions must be one or more values of 1-64 characters without a backslash`);
  }
}

/**
 * The General Equipment attributes (PS3.3 C.7.5.1; also Enhanced General Equipment C.7.5.2) and the
 * Contributing Equipment Sequence (PS3.3 C.12.1.1.4 in SOP Common) with the IHE AIR algorithm item.
 * @param contributionDateTime DT, e.g. "20261201150000+0000".
 */
export function provenanceAttributes(provenance: AiProvenance, contributionDateTime: string, contributionDescription: string): Record<string, unknown> {
  const equipment = {
    Manufacturer: provenance.manufacturer,
    ManufacturerModelName: provenance.manufacturerModelName,
    DeviceSerialNumber: provenance.deviceSerialNumber,
    SoftwareVersions: [...provenance.softwareVersions],
    DeviceUID: provenance.deviceUID,
  };
  return {
    ...equipment,
    ContributingEquipmentSequence: [
      {
        PurposeOfReferenceCodeSequence: [IHE_PROCESSING_ALGORITHM],
        ...equipment,
        ContributionDateTime: contributionDateTime,
        ContributionDescription: contributionDescription.slice(0, 64),
      },
    ],
  };
}
