import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireElement } from '../fixtures/bad-input/dicom-bytes';

/** The committed 64 x 64 CT slice (LIDC-IDRI-0001, CC BY 3.0) every generated hostile file starts from. */
export const BASE_CT_SLICE = join(resolve(__dirname, '../fixtures/bad-input'), 'ct-64x64-base.dcm');

/**
 * The base CT slice with `count` empty private elements (VR UN, length 0: 12 bytes each) spliced in
 * before PixelData, in odd (private) groups 7F01, 7F03, … with elements 1000-FFFF, in ascending tag
 * order. 1,000,000 of them make the 12 MB file that once froze the server for 20 s. Generated, never
 * committed.
 */
export function manyEmptyElementsDicom(count: number): Uint8Array {
  const base = new Uint8Array(readFileSync(BASE_CT_SLICE));
  const at = requireElement(base, 0x7fe0, 0x0010).offset;
  const inserted = new Uint8Array(count * 12);
  const view = new DataView(inserted.buffer);
  const perGroup = 0x10000 - 0x1000;
  for (let i = 0; i < count; i++) {
    const offset = i * 12;
    view.setUint16(offset, 0x7f01 + 2 * Math.floor(i / perGroup), true);
    view.setUint16(offset + 2, 0x1000 + (i % perGroup), true);
    inserted[offset + 4] = 0x55; // 'U'
    inserted[offset + 5] = 0x4e; // 'N'
    // reserved (2 bytes) and length (4 bytes) stay 0
  }
  const out = new Uint8Array(base.length + inserted.length);
  out.set(base.subarray(0, at), 0);
  out.set(inserted, at);
  out.set(base.subarray(at), at + inserted.length);
  return out;
}
