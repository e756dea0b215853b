/**
 * A structural read of a JPEG 2000 codestream (ISO/IEC 15444-1 Annex A, shared by Part 15 HTJ2K) before
 * any decoder sees it: the image size, component count, bit depth and signedness from SIZ, and proof
 * that every tile-part is whole and the stream ends with EOC. OpenJPH decodes a truncated HTJ2K stream
 * without complaint (missing code-blocks come back as zeros), so completeness is checked here; and the
 * size is known before the decoder allocates anything.
 */
export interface J2kCodestreamInfo {
  readonly width: number;
  readonly height: number;
  readonly componentCount: number;
  /** Of the first component. */
  readonly bitDepth: number;
  readonly isSigned: boolean;
}

const SOC = 0xff4f;
const SIZ = 0xff51;
const SOT = 0xff90;
const EOC = 0xffd9;

/** Reads and checks a codestream; throws an Error saying what is wrong with it. */
export function readJ2kCodestream(bytes: Uint8Array): J2kCodestreamInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => (at + 2 <= bytes.length ? view.getUint16(at) : -1);
  if (u16(0) !== SOC || u16(2) !== SIZ) throw new Error('not a JPEG 2000 codestream (no SOC and SIZ markers at its start)');
  const sizLength = u16(4);
  if (sizLength < 41 || 4 + sizLength > bytes.length) throw new Error('the SIZ marker segment is truncated');
  const width = view.getUint32(8) - view.getUint32(16);
  const height = view.getUint32(12) - view.getUint32(20);
  const componentCount = view.getUint16(40);
  if (sizLength !== 38 + 3 * componentCount) throw new Error(`the SIZ marker segment has ${sizLength} bytes for ${componentCount} component(s)`);
  const ssiz = bytes[42]!;
  // Main header: marker segments up to the first SOT.
  let at = 4 + sizLength;
  while (u16(at) !== SOT) {
    const marker = u16(at);
    const length = u16(at + 2);
    if (marker < 0xff00 || length < 2) throw new Error(`the main header is damaged or truncated at byte ${at}`);
    at += 2 + length;
  }
  // Tile-parts: Psot is the length of each, SOT marker included (0: runs to EOC, last one only).
  for (;;) {
    if (u16(at) === EOC) break;
    if (u16(at) !== SOT) throw new Error(`the codestream is truncated or damaged: no tile-part or EOC at byte ${at} of ${bytes.length}`);
    if (at + 12 > bytes.length) throw new Error('the codestream is truncated inside a tile-part header');
    const psot = view.getUint32(at + 6);
    if (psot === 0) {
      const tail = bytes.length - 2 - (bytes.length > 2 && bytes[bytes.length - 1] === 0 ? 1 : 0);
      if (u16(tail) !== EOC) throw new Error('the codestream is truncated: it does not end with EOC');
      break;
    }
    if (psot < 14 || at + psot > bytes.length) throw new Error(`the codestream is truncated: a tile-part of ${psot} bytes at byte ${at} runs past its end (${bytes.length})`);
    at += psot;
  }
  return { width, height, componentCount, bitDepth: (ssiz & 0x7f) + 1, isSigned: (ssiz & 0x80) !== 0 };
}
