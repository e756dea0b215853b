/**
 * The PS3.10 7.1 file preamble and File Meta Information group for a dataset received over DIMSE.
 * A C-STORE carries the bare dataset in the negotiated transfer syntax (PS3.7 9.1.1); storing it as a
 * Part 10 file needs this header in front, always Explicit VR Little Endian (PS3.10 7.1).
 */

export interface FileMetaFields {
  mediaStorageSOPClassUID: string;
  mediaStorageSOPInstanceUID: string;
  transferSyntaxUID: string;
  /** The AE title that sent the instance (Source Application Entity Title, 0002,0016). */
  sourceApplicationEntityTitle: string;
}

/** Implementation Class UID (0002,0012) of covseg: a fixed 2.25 UUID-derived UID (PS3.5 B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.181349786386428461532393926520766791870';
/** Implementation Version Name (0002,0013), SH, at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = 'COVSEG_010';

// Group 0002 elements in ascending tag order (PS3.10 Table 7.1-1): [group, element, VR, keyword].
const FileMetaInformationGroupLength = [0x0002, 0x0000, 'UL'] as const;
const FileMetaInformationVersion = [0x0002, 0x0001, 'OB'] as const;
const MediaStorageSOPClassUID = [0x0002, 0x0002, 'UI'] as const;
const MediaStorageSOPInstanceUID = [0x0002, 0x0003, 'UI'] as const;
const TransferSyntaxUID = [0x0002, 0x0010, 'UI'] as const;
const ImplementationClassUID = [0x0002, 0x0012, 'UI'] as const;
const ImplementationVersionName = [0x0002, 0x0013, 'SH'] as const;
const SourceApplicationEntityTitle = [0x0002, 0x0016, 'AE'] as const;

type Tag = readonly [number, number, string];

function element(tag: Tag, value: Buffer): Buffer {
  const [group, elementNumber, vr] = tag;
  // OB has two reserved bytes and a 32-bit length; the short VRs a 16-bit length (PS3.5 7.1.2).
  const long = vr === 'OB';
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elementNumber, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** UIs are padded with NUL, other strings with a space, to an even length (PS3.5 6.2). */
function text(value: string, padding: '\0' | ' '): Buffer {
  return Buffer.from(value.length % 2 === 1 ? value + padding : value, 'latin1');
}

/** Preamble (128 zero bytes), "DICM" and the meta group; the dataset follows directly. */
export function encodeFileMeta(fields: FileMetaFields): Buffer {
  const body = Buffer.concat([
    element(FileMetaInformationVersion, Buffer.from([0x00, 0x01])),
    element(MediaStorageSOPClassUID, text(fields.mediaStorageSOPClassUID, '\0')),
    element(MediaStorageSOPInstanceUID, text(fields.mediaStorageSOPInstanceUID, '\0')),
    element(TransferSyntaxUID, text(fields.transferSyntaxUID, '\0')),
    element(ImplementationClassUID, text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(ImplementationVersionName, text(IMPLEMENTATION_VERSION_NAME, ' ')),
    ...(fields.sourceApplicationEntityTitle ? [element(SourceApplicationEntityTitle, text(fields.sourceApplicationEntityTitle, ' '))] : []),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(FileMetaInformationGroupLength, length), body]);
}
