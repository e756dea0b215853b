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

export class Part10Error extends Error {
  override name = 'Part10Error';
}

/** Reads a Part 10 file; returns undefined when its transfer syntax is not uncompressed little endian. */
export function readPart10Pixels(bytes: Uint8Array): Part10Pixels | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 132 || bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
    throw new Part10Error('Reading a DICOM file failed: no DICM prefix (PS3.10 §7.1)');
  }
  let transferSyntaxUID = '';
  let sopInstanceUID = '';
  let pixelData: Uint8Array | undefined;
  // File meta information: always explicit VR little endian, group 0002.
  let at = 132;
  while (at + 8 <= bytes.length && view.getUint16(at, true) === 0x0002) {
    const element = readHeader(view, at, true);
    if (element.tag === 0x00020010) transferSyntaxUID = text(bytes, element.valueAt, element.length);
    at = element.valueAt + element.length;
  }
  if (transferSyntaxUID !== IMPLICIT_LE && transferSyntaxUID !== EXPLICIT_LE) return undefined;
  const explicit = transferSyntaxUID === EXPLICIT_LE;
  while (at + 8 <= bytes.length) {
    const element = readHeader(view, at, explicit);
    if (element.length === UNDEFINED) {
      // Encapsulated pixel data cannot occur in these syntaxes; any other undefined length is a sequence.
      if (element.tag === 0x7fe00010) return undefined;
      at = skipUndefined(view, element.valueAt, explicit);
      continue;
    }
    const end = element.valueAt + element.length;
    if (end > bytes.length) throw new Part10Error(`Reading a DICOM file failed: element ${hex(element.tag)} runs past the end`);
    if (element.tag === 0x00080018) sopInstanceUID = text(bytes, element.valueAt, element.length);
    else if (element.tag === 0x7fe00010) {
      pixelData = bytes.subarray(element.valueAt, end);
      break;
    }
    at = end;
  }
  if (!sopInstanceUID || !pixelData) throw new Part10Error('Reading a DICOM file failed: no SOP Instance UID or no Pixel Data');
  return { sopInstanceUID, transferSyntaxUID, pixelData };
}

function readHeader(view: DataView, at: number, explicit: boolean): { tag: number; length: number; valueAt: number } {
  const tag = ((view.getUint16(at, true) << 16) | view.getUint16(at + 2, true)) >>> 0;
  // Item and delimitation tags have no VR in either syntax (PS3.5 §7.5).
  if (!explicit || tag === ITEM || tag === ITEM_END || tag === SEQUENCE_END) return { tag, length: view.getUint32(at + 4, true), valueAt: at + 8 };
  const vr = String.fromCharCode(view.getUint8(at + 4), view.getUint8(at + 5));
  if (LONG_VRS.has(vr)) return { tag, length: view.getUint32(at + 8, true), valueAt: at + 12 };
  return { tag, length: view.getUint16(at + 6, true), valueAt: at + 8 };
}

/** Skips an undefined-length sequence starting at its first item; returns the offset after its delimiter. */
function skipUndefined(view: DataView, at: number, explicit: boolean): number {
  for (;;) {
    if (at + 8 > view.byteLength) throw new Part10Error('Reading a DICOM file failed: a sequence never ends');
    const item = readHeader(view, at, explicit);
    if (item.tag === SEQUENCE_END) return item.valueAt;
    if (item.tag !== ITEM) throw new Part10Error(`Reading a DICOM file failed: ${hex(item.tag)} inside a sequence`);
    if (item.length !== UNDEFINED) {
      at = item.valueAt + item.length;
      continue;
    }
    at = item.valueAt;
    for (;;) {
      if (at + 8 > view.byteLength) throw new Part10Error('Reading a DICOM file failed: an item never ends');
      const element = readHeader(view, at, explicit);
      if (element.tag === ITEM_END) {
        at = element.valueAt;
        break;
      }
      at = element.length === UNDEFINED ? skipUndefined(view, element.valueAt, explicit) : element.valueAt + element.length;
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
