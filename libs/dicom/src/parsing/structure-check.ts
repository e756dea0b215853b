import { inflateRawSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { DicomParseError } from '../errors';
import { TransferSyntaxUID } from './transfer-syntax';

/**
 * Walks the element structure of a PS3.10 file before dcmjs reads it. dcmjs trusts declared lengths:
 * a value that runs past the end of the file comes back zero-filled (a truncated CT slice silently
 * turns into air) and an absurd length allocates that many bytes. Here every length is checked
 * against what is left in its container, sequences are followed to a bounded depth, and nothing is
 * allocated, so the file dcmjs gets is structurally sound.
 */

const undefinedLength = 0xffffffff;
const itemTag = 0xfffee000;
const itemDelimiterTag = 0xfffee00d;
const sequenceDelimiterTag = 0xfffee0dd;
const pixelDataTag = 0x7fe00010;
const maxDepth = 16;
// PS3.5 7.1.2: these VRs have a 2-byte reserved field and a 4-byte length in explicit VR.
const longVRs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
// PS3.5 6.2: every VR the standard defines. dcmjs reads an unknown VR as UN and carries on; we refuse.
const knownVRs = new Set([...longVRs, 'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);

interface Syntax {
  readonly explicit: boolean;
  readonly littleEndian: boolean;
}

const hex = (tag: number) => `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();

function fail(why: string): never {
  throw new DicomParseError(`Checking the structure of a DICOM file failed: ${why}`);
}

function isSequenceInImplicit(tag: number): boolean {
  return dcmjs.data.DicomMetaDictionary.dictionary[hex(tag)]?.vr === 'SQ';
}

class Walker {
  private readonly view: DataView;
  private elements = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly syntax: Syntax,
    private readonly maxElements: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private tagAt(offset: number): number {
    const le = this.syntax.littleEndian;
    return ((this.view.getUint16(offset, le) << 16) | this.view.getUint16(offset + 2, le)) >>> 0;
  }

  /** Walks a dataset from `start` to `end`, or to an item delimiter when `delimited`; returns where it stopped. */
  dataset(start: number, end: number, depth: number, delimited: boolean): number {
    if (depth > maxDepth) fail(`sequences are nested deeper than ${maxDepth} levels`);
    let offset = start;
    while (offset < end) {
      if (end - offset < 8) fail(`${end - offset} stray bytes at offset ${offset}`);
      const tag = this.tagAt(offset);
      if (tag === itemDelimiterTag) {
        if (!delimited) fail(`unexpected item delimiter at offset ${offset}`);
        return offset + 8;
      }
      offset = this.element(offset, end, tag, depth);
    }
    if (delimited) fail('an item of undefined length has no item delimiter (truncated file?)');
    return offset;
  }

  private element(offset: number, end: number, tag: number, depth: number): number {
    if (++this.elements > this.maxElements) fail(`it has more than ${this.maxElements} data elements`);
    const le = this.syntax.littleEndian;
    let vr: string | undefined;
    let length: number;
    let valueStart: number;
    if (this.syntax.explicit && tag >>> 16 !== 0xfffe) {
      vr = String.fromCharCode(this.bytes[offset + 4]!, this.bytes[offset + 5]!);
      if (!knownVRs.has(vr)) fail(`element ${hex(tag)} at offset ${offset} has the unknown VR "${vr.replace(/[^ -~]/g, '?')}"`);
      if (longVRs.has(vr)) {
        if (end - offset < 12) fail(`element ${hex(tag)} at offset ${offset} is cut short`);
        length = this.view.getUint32(offset + 8, le);
        valueStart = offset + 12;
      } else {
        length = this.view.getUint16(offset + 6, le);
        valueStart = offset + 8;
      }
    } else {
      length = this.view.getUint32(offset + 4, le);
      valueStart = offset + 8;
    }
    const isSequence = vr === 'SQ' || (vr === undefined && isSequenceInImplicit(tag));
    if (length === undefinedLength) {
      if (tag === pixelDataTag) return this.fragments(valueStart, end);
      // PS3.5 6.2.2: an undefined-length UN is an implicit VR little endian sequence.
      if (isSequence || vr === 'UN' || vr === undefined) return this.items(valueStart, end, depth, tag);
      fail(`element ${hex(tag)} at offset ${offset} has undefined length but VR ${vr}`);
    }
    if (length > end - valueStart) fail(`element ${hex(tag)} at offset ${offset} declares ${length} bytes but only ${end - valueStart} remain (truncated file?)`);
    if (isSequence) this.items(valueStart, valueStart + length, depth, tag);
    return valueStart + length;
  }

  private items(start: number, end: number, depth: number, sequenceTag: number): number {
    let offset = start;
    while (offset < end) {
      if (end - offset < 8) fail(`sequence ${hex(sequenceTag)} is cut short at offset ${offset}`);
      const tag = this.tagAt(offset);
      const length = this.view.getUint32(offset + 4, this.syntax.littleEndian);
      if (tag === sequenceDelimiterTag) return offset + 8;
      if (tag !== itemTag) fail(`sequence ${hex(sequenceTag)} has ${hex(tag)} where an item was expected, at offset ${offset}`);
      if (length === undefinedLength) {
        offset = this.dataset(offset + 8, end, depth + 1, true);
      } else {
        if (length > end - offset - 8) fail(`an item of ${hex(sequenceTag)} declares ${length} bytes but only ${end - offset - 8} remain (truncated file?)`);
        this.dataset(offset + 8, offset + 8 + length, depth + 1, false);
        offset += 8 + length;
      }
    }
    return offset;
  }

  /** Encapsulated pixel data (PS3.5 A.4): items of defined length, then a sequence delimiter. */
  private fragments(start: number, end: number): number {
    let offset = start;
    while (offset + 8 <= end) {
      const tag = this.tagAt(offset);
      const length = this.view.getUint32(offset + 4, this.syntax.littleEndian);
      if (tag === sequenceDelimiterTag) return offset + 8;
      if (tag !== itemTag || length === undefinedLength) fail(`encapsulated PixelData has ${hex(tag)} where a fragment was expected, at offset ${offset}`);
      if (length > end - offset - 8) fail(`a PixelData fragment declares ${length} bytes but only ${end - offset - 8} remain (truncated file?)`);
      offset += 8 + length;
    }
    return fail('encapsulated PixelData has no sequence delimiter (truncated file?)');
  }
}

/** Reads the file meta group (always explicit VR little endian, PS3.10 7.1) and returns its end and TransferSyntaxUID. */
function walkMeta(bytes: Uint8Array): { end: number; transferSyntaxUID: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 132;
  let transferSyntaxUID: string | undefined;
  // Element by element, so the walk stops at the first group that is not 0002.
  while (offset + 12 <= bytes.length && view.getUint16(offset, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!);
    const long = longVRs.has(vr);
    const length = long ? view.getUint32(offset + 8, true) : view.getUint16(offset + 6, true);
    const valueStart = offset + (long ? 12 : 8);
    if (length > bytes.length - valueStart) fail(`file meta element at offset ${offset} declares ${length} bytes but only ${bytes.length - valueStart} remain`);
    if (view.getUint16(offset + 2, true) === 0x0010) {
      transferSyntaxUID = String.fromCharCode(...bytes.subarray(valueStart, valueStart + length)).replace(/[\0 ]+$/, '');
    }
    offset = valueStart + length;
  }
  if (!transferSyntaxUID) fail('the file meta information has no TransferSyntaxUID');
  return { end: offset, transferSyntaxUID };
}

/**
 * Throws a {@link DicomParseError} unless every element of the PS3.10 file `bytes` (preamble and
 * "DICM" already checked) fits inside the file. `maxInflatedBytes` bounds a deflated dataset,
 * `maxElements` the number of data elements (nested ones included).
 */
export function checkPart10Structure(bytes: Uint8Array, maxInflatedBytes: number, maxElements: number = Number.POSITIVE_INFINITY): void {
  const meta = walkMeta(bytes);
  let body = bytes.subarray(meta.end);
  const ts = meta.transferSyntaxUID;
  if (ts === TransferSyntaxUID.DeflatedExplicitVRLittleEndian) {
    try {
      body = new Uint8Array(inflateRawSync(body, { maxOutputLength: maxInflatedBytes }));
    } catch (error) {
      throw new DicomParseError(`Inflating a deflated DICOM dataset failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
    }
  }
  const syntax: Syntax = {
    explicit: ts !== TransferSyntaxUID.ImplicitVRLittleEndian,
    littleEndian: ts !== TransferSyntaxUID.ExplicitVRBigEndian,
  };
  try {
    new Walker(body, syntax, maxElements).dataset(0, body.length, 0, false);
  } catch (error) {
    if (error instanceof DicomParseError) throw error;
    throw new DicomParseError(`Checking the structure of a DICOM file failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
}
