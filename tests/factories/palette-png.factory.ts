import { deflateSync } from 'node:zlib';

/*
 * Palette PNGs whose palette INDEX is the pixel's class, as the doctor-labelled multi-class masks are
 * (0 background, 1 ground-glass opacity, 2 consolidation). sharp cannot write one with chosen indices
 * (its palette output quantises and orders colours itself), so this writes the chunks directly
 * (PNG spec: IHDR colour type 3, PLTE, one zlib IDAT of filter-0 rows, IEND).
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The VOC palette's first colours (what the Inf-Net masks use): black, dark red, dark green, dark yellow. */
export const VOC_PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 0],
  [128, 0, 0],
  [0, 128, 0],
  [128, 128, 0],
];

/**
 * @param labels palette index per pixel, row-major `width x height`.
 * @param palette RGB per index (default the VOC colours).
 */
export function encodePalettePng(labels: Uint8Array, width: number, height: number, palette: ReadonlyArray<readonly [number, number, number]> = VOC_PALETTE): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  const rows = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(labels.subarray(y * width, (y + 1) * width)).copy(rows, y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Uint8Array.from(palette.flat())),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
