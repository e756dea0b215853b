/**
 * Just enough of a DICOM Part 10 reader (PS3.10 §7, PS3.5 §7) to take the SOP Instance UID and the
 * uncompressed Pixel Data out of a file that a WADO-RS series retrieve (PS3.18 §10.4) answered as
 * `application/dicom`. Little endian only (implicit or explicit VR); anything else (big endian,
 * encapsulated/compressed pixel data) is reported as unreadable and the caller falls back to
 * per-frame retrieval, which the PACS transcodes.
 */
export interface Part10Pixels {
  sopInstanceUID: string;
  transferSyntaxUID: string;
  /** A view of the Pixel Data value inside the file's buffer (not copied, maybe unaligned). */
  pixelData: Uint8Array;
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
/** VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length (PS3.5 §7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

export class Part10Error extends Error {
  override name = 'Part10Error';
}

/** Where a Part 10 file's Pixel Data lies, and what the viewer needs from the elements before it. */
export interface Part10Header {
  sopInstanceUID: string;
  transferSyntaxUID: string;
  /** Offset of the Pixel Data value in the file, and its length in bytes (defined: uncompressed). */
  pixelDataAt: number;
  pixelDataLength: number;
  /** Explicit VR (the data set's encoding, for the elements after Pixel Data). */
  explicit: boolean;
}

/** The bytes given end before the element being read does (only thrown while reading a prefix). */
class NeedMore extends Error {
  override name = 'NeedMore';
}

/** Reads a Part 10 file; returns undefined when its transfer syntax is not uncompressed little endian. */
export function readPart10Pixels(bytes: Uint8Array): Part10Pixels | undefined {
  const header = walkToPixelData(bytes, false);
  if (header === undefined) return undefined;
  const end = header.pixelDataAt + header.pixelDataLength;
  if (end > bytes.length) throw new Part10Error('Reading a DICOM file failed: element (7fe0,0010) runs past the end');
  return { sopInstanceUID: header.sopInstanceUID, transferSyntaxUID: header.transferSyntaxUID, pixelData: bytes.subarray(header.pixelDataAt, end) };
}

/**
 * Reads a Part 10 file up to the header of its Pixel Data element. With `prefix`, `bytes` may be the
 * file's first bytes only: `'more'` when they end before that header (or before the SOP Instance UID's
 * value). Returns undefined when the transfer syntax is not uncompressed little endian (or the Pixel Data
 * is encapsulated).
 */
export function readPart10Header(bytes: Uint8Array, prefix = false): Part10Header | 'more' | undefined {
  try {
    return walkToPixelData(bytes, prefix);
  } catch (error) {
    if (error instanceof NeedMore) return 'more';
    throw error;
  }
}

function walkToPixelData(bytes: Uint8Array, prefix: boolean): Part10Header | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const short = (what: string) => (prefix ? new NeedMore(what) : new Part10Error(`Reading a DICOM file failed: ${what}`));
  if (bytes.length < 132) {
    if (prefix) throw new NeedMore('preamble');
    throw new Part10Error('Reading a DICOM file failed: no DICM prefix (PS3.10 §7.1)');
  }
  if (bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
    throw new Part10Error('Reading a DICOM file failed: no DICM prefix (PS3.10 §7.1)');
  }
  let transferSyntaxUID = '';
  let sopInstanceUID = '';
  // File meta information: always explicit VR little endian, group 0002.
  let at = 132;
  for (;;) {
    if (at + 8 > bytes.length) throw short('the file meta information never ends');
    if (view.getUint16(at, true) !== 0x0002) break;
    const element = readHeader(view, at, true);
    if (element.valueAt + element.length > bytes.length) throw short(`element ${hex(element.tag)} runs past the end`);
    if (element.tag === 0x00020010) transferSyntaxUID = text(bytes, element.valueAt, element.length);
    at = element.valueAt + element.length;
  }
  if (transferSyntaxUID !== IMPLICIT_LE && transferSyntaxUID !== EXPLICIT_LE) return undefined;
  const explicit = transferSyntaxUID === EXPLICIT_LE;
  for (;;) {
    if (at + 8 > bytes.length) throw short('no Pixel Data');
    const element = readHeader(view, at, explicit);
    if (element.valueAt > bytes.length) throw short(`element ${hex(element.tag)} runs past the end`);
    if (element.length === UNDEFINED) {
      // Encapsulated pixel data cannot occur in these syntaxes; any other undefined length is a sequence.
      if (element.tag === PIXEL_DATA) return undefined;
      at = skipUndefined(view, element.valueAt, explicit, short);
      continue;
    }
    if (element.tag === PIXEL_DATA) {
      if (!sopInstanceUID) throw new Part10Error('Reading a DICOM file failed: no SOP Instance UID before the Pixel Data');
      return { sopInstanceUID, transferSyntaxUID, pixelDataAt: element.valueAt, pixelDataLength: element.length, explicit };
    }
    const end = element.valueAt + element.length;
    if (end > bytes.length) throw short(`element ${hex(element.tag)} runs past the end`);
    if (element.tag === 0x00080018) sopInstanceUID = text(bytes, element.valueAt, element.length);
    at = end;
  }
}

/**
 * Whether `bytes` (what follows a file's Pixel Data value) are whole data elements after Pixel Data,
 * tags ascending (PS3.5 §7.1: a data set is sorted), ending exactly at the end: (FFFC,FFFC) trailing
 * padding, digital signatures. A series reader that skipped a file by its Pixel Data length checks with
 * this that the file really ended where that length said.
 */
export function isDataSetTail(bytes: Uint8Array, explicit: boolean): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const short = () => new Part10Error('Reading a DICOM file failed: the elements after Pixel Data run past the end');
  let previous = PIXEL_DATA;
  try {
    for (let at = 0; at < bytes.length; ) {
      if (at + 8 > bytes.length) return false;
      const element = readHeader(view, at, explicit);
      if (element.tag <= previous) return false;
      previous = element.tag;
      at = element.length === UNDEFINED ? skipUndefined(view, element.valueAt, explicit, short) : element.valueAt + element.length;
      if (at > bytes.length) return false;
    }
    return true;
  } catch (error) {
    if (error instanceof Part10Error) return false;
    throw error;
  }
}

function readHeader(view: DataView, at: number, explicit: boolean): { tag: number; length: number; valueAt: number } {
  const tag = ((view.getUint16(at, true) << 16) | view.getUint16(at + 2, true)) >>> 0;
  // Item and delimitation tags have no VR in either syntax (PS3.5 §7.5).
  if (!explicit || tag === ITEM || tag === ITEM_END || tag === SEQUENCE_END) return { tag, length: view.getUint32(at + 4, true), valueAt: at + 8 };
  const vr = String.fromCharCode(view.getUint8(at + 4), view.getUint8(at + 5));
  // A header cut after its VR: valueAt lies past the end, which every caller checks.
  if (LONG_VRS.has(vr)) return { tag, length: at + 12 <= view.byteLength ? view.getUint32(at + 8, true) : 0, valueAt: at + 12 };
  return { tag, length: view.getUint16(at + 6, true), valueAt: at + 8 };
}

/** Skips an undefined-length sequence starting at its first item; returns the offset after its delimiter. */
function skipUndefined(view: DataView, at: number, explicit: boolean, short: (what: string) => Error): number {
  for (;;) {
    if (at + 8 > view.byteLength) throw short('a sequence never ends');
    const item = readHeader(view, at, explicit);
    if (item.tag === SEQUENCE_END) return item.valueAt;
    if (item.tag !== ITEM) throw new Part10Error(`Reading a DICOM file failed: ${hex(item.tag)} inside a sequence`);
    if (item.length !== UNDEFINED) {
      at = item.valueAt + item.length;
      continue;
    }
    at = item.valueAt;
    for (;;) {
      if (at + 8 > view.byteLength) throw short('an item never ends');
      const element = readHeader(view, at, explicit);
      if (element.tag === ITEM_END) {
        at = element.valueAt;
        break;
      }
      at = element.length === UNDEFINED ? skipUndefined(view, element.valueAt, explicit, short) : element.valueAt + element.length;
    }
  }
}

function text(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length; i++) s += String.fromCharCode(bytes[i]);
  return s.replace(/[\0 ]+$/, '');
}

function hex(tag: number): string {
  return `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`;
}
