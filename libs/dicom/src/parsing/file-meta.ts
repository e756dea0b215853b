/**
 * The Transfer Syntax UID (0002,0010) of a Part 10 file, read from its File Meta Information alone
 * (PS3.10 7.1: 128-byte preamble, "DICM", then group 0002 in Explicit VR Little Endian), without
 * parsing the dataset. Undefined when the bytes are not a Part 10 file or the element is missing.
 */
export function readTransferSyntaxUID(bytes: Uint8Array): string | undefined {
  if (bytes.length < 132 || String.fromCharCode(bytes[128]!, bytes[129]!, bytes[130]!, bytes[131]!) !== 'DICM') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 132;
  while (offset + 8 <= bytes.length) {
    const group = view.getUint16(offset, true);
    const element = view.getUint16(offset + 2, true);
    if (group !== 0x0002) return undefined;
    const vr = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!);
    // OB, OW, UN, SQ, UT, UC, UR have two reserved bytes and a 32-bit length (PS3.5 7.1.2); the others 16 bits.
    const long = LONG_VRS.has(vr);
    const headerLength = long ? 12 : 8;
    if (offset + headerLength > bytes.length) return undefined;
    const length = long ? view.getUint32(offset + 8, true) : view.getUint16(offset + 6, true);
    const start = offset + headerLength;
    if (start + length > bytes.length) return undefined;
    if (element === 0x0010) {
      // UI values are padded with NUL to an even length (PS3.5 6.2); tolerate a space too.
      const value = String.fromCharCode(...bytes.subarray(start, start + length)).replace(/[\0 ]+$/, '');
      return value || undefined;
    }
    offset = start + length;
  }
  return undefined;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
