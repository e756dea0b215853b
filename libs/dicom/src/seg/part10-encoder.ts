import { data } from 'dcmjs';

import { SegWriteError } from './seg-errors';

/**
 * A small Part 10 encoder (Explicit VR Little Endian only) for datasets we build ourselves.
 *
 * Why not dcmjs's DicomDict.write: it allocates a stream and a TextEncoder per element, which made
 * the 266 per-frame functional group items of a 133-slice two-segment SEG cost 120-450 ms. This
 * encoder writes the same bytes into one growing buffer in a few milliseconds. Tags and VRs still come
 * from dcmjs's dictionary, never from magic numbers; dciodvfy checks the output in the medium tests.
 */

/** Naturalized dataset: keywords verbatim; sequences as arrays of datasets; binary VRs as Uint8Array. */
export type EncodableDataset = Record<string, unknown>;

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const BINARY_NUMBER_VRS: Record<string, [number, (view: DataView, offset: number, value: number) => void]> = {
  US: [2, (v, o, x) => v.setUint16(o, x, true)],
  SS: [2, (v, o, x) => v.setInt16(o, x, true)],
  UL: [4, (v, o, x) => v.setUint32(o, x, true)],
  SL: [4, (v, o, x) => v.setInt32(o, x, true)],
  FL: [4, (v, o, x) => v.setFloat32(o, x, true)],
  FD: [8, (v, o, x) => v.setFloat64(o, x, true)],
  // AT: the tag as group << 16 | element, written as two 16-bit words, group first (PS3.5 6.2).
  AT: [4, (v, o, x) => (v.setUint16(o, x >>> 16, true), v.setUint16(o + 2, x & 0xffff, true))],
};

class ByteWriter {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  reserve(n: number): DataView {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    return this.view;
  }
  u16(value: number): void {
    this.reserve(2).setUint16(this.length, value, true);
    this.length += 2;
  }
  u32(value: number): void {
    this.reserve(4).setUint32(this.length, value, true);
    this.length += 4;
  }
  raw(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

interface Entry {
  tag: number;
  vr: string;
}
const entries = new Map<string, Entry>();

function entryOf(keyword: string): Entry {
  let entry = entries.get(keyword);
  if (!entry) {
    const dictionaryEntry = data.DicomMetaDictionary.nameMap[keyword];
    if (!dictionaryEntry) throw new SegWriteError(`Part 10 encoder: ${keyword} is not in the DICOM dictionary`);
    entry = { tag: parseInt(data.DicomMetaDictionary.unpunctuateTag(dictionaryEntry.tag), 16), vr: dictionaryEntry.vr };
    entries.set(keyword, entry);
  }
  return entry;
}

/** The tag of a keyword as one number, group << 16 | element (the AT value of e.g. DimensionIndexPointer). */
export function tagOf(keyword: string): number {
  return entryOf(keyword).tag;
}

/** DS allows 16 characters (PS3.5 6.2): keep full precision when it fits, else round. */
export function formatDecimalString(value: number): string {
  if (!Number.isFinite(value)) throw new SegWriteError(`Part 10 encoder cannot write ${value} as DS`);
  let text = String(value);
  for (let precision = 15; text.length > 16 && precision > 0; precision--) text = String(Number(value.toPrecision(precision)));
  return text;
}

function encodeText(vr: string, value: unknown, keyword: string, utf8: boolean): Uint8Array {
  const values = Array.isArray(value) ? value : [value];
  const text = values
    .map((v) => {
      if (vr === 'DS' && typeof v === 'number') return formatDecimalString(v);
      if (vr === 'IS' && typeof v === 'number') {
        if (!Number.isInteger(v)) throw new SegWriteError(`Part 10 encoder: ${keyword} is IS but ${v} is not an integer`);
        return String(v);
      }
      if (vr === 'PN' && v && typeof v === 'object' && 'Alphabetic' in v) return String((v as { Alphabetic: unknown }).Alphabetic);
      return v === undefined || v === null ? '' : String(v);
    })
    .join('\\');
  const bytes = Buffer.from(text, utf8 ? 'utf8' : 'latin1');
  if (bytes.length % 2 === 0) return bytes;
  // Values have even length (PS3.5 7.1.1); UI pads with NUL, the other text VRs with a space.
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  padded[bytes.length] = vr === 'UI' ? 0x00 : 0x20;
  return padded;
}

function encodeElement(out: ByteWriter, keyword: string, value: unknown, utf8: boolean): void {
  const { tag, vr } = entryOf(keyword);
  // Ambiguous dictionary VRs (ox, xs, "US or SS") need a caller's choice; we write none of them.
  if (!/^[A-Z]{2}$/.test(vr)) throw new SegWriteError(`Part 10 encoder has no unambiguous VR for ${keyword}`);
  out.u16(tag >>> 16);
  out.u16(tag & 0xffff);
  out.raw(new Uint8Array([vr.charCodeAt(0), vr.charCodeAt(1)]));
  if (vr === 'SQ') {
    if (!Array.isArray(value)) throw new SegWriteError(`Part 10 encoder: ${keyword} is a sequence but its value is not an array`);
    out.u16(0);
    out.u32(0xffffffff); // undefined length, closed by a Sequence Delimitation Item (PS3.5 7.5.2)
    for (const item of value as EncodableDataset[]) {
      out.u16(0xfffe);
      out.u16(0xe000);
      out.u32(0xffffffff);
      encodeDatasetInto(out, item, utf8);
      out.u16(0xfffe);
      out.u16(0xe00d);
      out.u32(0);
    }
    out.u16(0xfffe);
    out.u16(0xe0dd);
    out.u32(0);
    return;
  }
  let payload: Uint8Array;
  if (TEXT_VRS.has(vr)) payload = encodeText(vr, value, keyword, utf8);
  else if (vr in BINARY_NUMBER_VRS) {
    const [size, write] = BINARY_NUMBER_VRS[vr];
    const numbers = (Array.isArray(value) ? value : [value]).map(Number);
    payload = new Uint8Array(size * numbers.length);
    const view = new DataView(payload.buffer);
    numbers.forEach((n, i) => write(view, i * size, n));
  } else if (value instanceof Uint8Array) {
    payload = value.length % 2 === 0 ? value : Uint8Array.of(...value, 0);
  } else throw new SegWriteError(`Part 10 encoder cannot write ${keyword} (VR ${vr}) from a ${typeof value}`);
  if (LONG_LENGTH_VRS.has(vr)) {
    out.u16(0);
    out.u32(payload.length);
  } else {
    if (payload.length > 0xffff) throw new SegWriteError(`Part 10 encoder: ${keyword} is too long for VR ${vr}`);
    out.u16(payload.length);
  }
  out.raw(payload);
}

function encodeDatasetInto(out: ByteWriter, dataset: EncodableDataset, utf8: boolean): void {
  const keywords = Object.keys(dataset).filter((k) => dataset[k] !== undefined);
  // Elements in ascending tag order (PS3.5 7.1).
  keywords.sort((a, b) => entryOf(a).tag - entryOf(b).tag);
  for (const keyword of keywords) encodeElement(out, keyword, dataset[keyword], utf8);
}

/**
 * Encodes a Part 10 file: 128-byte preamble, "DICM", File Meta Information (group 0002, with its group
 * length), then `dataset` in Explicit VR Little Endian with sequences of undefined length.
 * @param meta group 0002 attributes except FileMetaInformationGroupLength; TransferSyntaxUID must be 1.2.840.10008.1.2.1.
 * @param pixelData when given, written as PixelData (7FE0,0010) OB after the dataset, copied once. It must be
 *   the last element, so `dataset` must not hold anything that sorts after it (PS3.5 7.1).
 * @returns a new buffer owned by the caller.
 */
export function encodePart10(meta: EncodableDataset, dataset: EncodableDataset, pixelData?: Uint8Array): Uint8Array {
  if (!pixelData) return encodeHeader(meta, dataset).result();
  return encodePart10WithPixelData(meta, dataset, pixelData.length, (target) => target.set(pixelData));
}

/**
 * encodePart10 with a PixelData (7FE0,0010) OB of `pixelDataLength` bytes that `fill` writes in place,
 * into the returned file's own buffer (zero-filled when `fill` runs): a volume-sized pixel stream is
 * never held twice (a 600-slice two-segment SEG is 40 MB). The same rules for `dataset` as encodePart10.
 * @param fill receives the PixelData value, a view into the result; an error it throws is thrown here.
 * @returns a new buffer owned by the caller.
 */
export function encodePart10WithPixelData(meta: EncodableDataset, dataset: EncodableDataset, pixelDataLength: number, fill: (pixelData: Uint8Array) => void): Uint8Array {
  if (pixelDataLength % 2 !== 0) throw new SegWriteError('Part 10 encoder: PixelData must have an even length (PS3.5 7.1.1)');
  const body = encodeHeader(meta, dataset);
  const { tag } = entryOf('PixelData');
  body.u16(tag >>> 16);
  body.u16(tag & 0xffff);
  body.raw(Buffer.from('OB', 'latin1'));
  body.u16(0);
  body.u32(pixelDataLength);
  const out = new Uint8Array(body.length + pixelDataLength);
  out.set(body.result());
  fill(out.subarray(body.length));
  return out;
}

/** Preamble, "DICM", the File Meta Information and `dataset`, without Pixel Data. */
function encodeHeader(meta: EncodableDataset, dataset: EncodableDataset): ByteWriter {
  if (meta.TransferSyntaxUID !== '1.2.840.10008.1.2.1') throw new SegWriteError('Part 10 encoder writes Explicit VR Little Endian (1.2.840.10008.1.2.1) only');
  const metaWriter = new ByteWriter();
  encodeDatasetInto(metaWriter, meta, false);
  const metaBytes = metaWriter.result();
  const utf8 = String(dataset.SpecificCharacterSet ?? '').includes('ISO_IR 192');
  const body = new ByteWriter();
  body.raw(new Uint8Array(128));
  body.raw(Buffer.from('DICM', 'latin1'));
  encodeElement(body, 'FileMetaInformationGroupLength', metaBytes.length, false);
  body.raw(metaBytes);
  encodeDatasetInto(body, dataset, utf8);
  return body;
}
