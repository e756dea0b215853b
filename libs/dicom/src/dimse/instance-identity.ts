import dcmjs from 'dcmjs';
import { tagOfKeyword } from '../dicomweb/dicom-json';
import { isValidUid } from '../seg/uid';
import { DicomParseError } from '../errors';

/** What the receiver needs to file an instance: UIDs and modality only (no patient attributes). */
export interface InstanceIdentity {
  sopClassUID: string;
  sopInstanceUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string | undefined;
}


function first(value: unknown): string | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  return typeof item === 'string' ? item.replace(/[\0 ]+$/, '') : undefined;
}

/**
 * Reads the identifying UIDs of a Part 10 file's header, stopping at Series Instance UID (0020,000E),
 * so a multi-gigabyte instance costs only its first elements. Every UID must be valid (PS3.5 9.1):
 * they become folder and file names, so a hostile "../.." never reaches the file system.
 * @param head the start of a Part 10 file (a few hundred KiB suffice); only read.
 * @throws DicomParseError when the header cannot be read or a UID is missing or malformed.
 */
export function readInstanceIdentity(head: Uint8Array): InstanceIdentity {
  let file: dcmjs.data.DicomDict;
  try {
    const buffer = new Uint8Array(head).buffer;
    file = dcmjs.data.DicomMessage.readFile(buffer, { ignoreErrors: false, untilTag: tagOfKeyword('SeriesInstanceUID'), includeUntilTagValue: true, stopOnGreaterTag: true });
  } catch (error) {
    throw new DicomParseError(`Reading the header of a received instance failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  const get = (keyword: string) => first(file.dict[tagOfKeyword(keyword)]?.Value);
  const identity = {
    sopClassUID: get('SOPClassUID') ?? first(file.meta[tagOfKeyword('MediaStorageSOPClassUID')]?.Value),
    sopInstanceUID: get('SOPInstanceUID'),
    studyInstanceUID: get('StudyInstanceUID'),
    seriesInstanceUID: get('SeriesInstanceUID'),
  };
  for (const [keyword, value] of Object.entries(identity)) {
    if (!value || !isValidUid(value)) throw new DicomParseError(`A received instance has no valid ${keyword}`, identity.sopInstanceUID && isValidUid(identity.sopInstanceUID) ? identity.sopInstanceUID : undefined);
  }
  return { ...(identity as Omit<InstanceIdentity, 'modality'>), modality: get('Modality') };
}
