import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DicomError, PixelDecodeError } from '../errors';
import { parseDicom } from './parse-dicom';

const fixtures = join(__dirname, '../../../../tests/fixtures/transfer-syntaxes/nema-wg04');
const read = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));

/** Overwrites a run of bytes in the middle of the encapsulated PixelData (the last third of the file). */
function corrupt(bytes: Uint8Array, seed: number): Uint8Array {
  const damaged = bytes.slice();
  let state = seed;
  const start = Math.floor(damaged.length * 0.7);
  for (let i = start; i < start + 64; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    damaged[i] = state & 0xff;
  }
  return damaged;
}

describe.each(['CT1_J2KR.dcm', 'CT1_JLSL.dcm', 'CT1_JPLL.dcm', 'CT1_RLE.dcm'])('decoding a corrupted %s', (file) => {
  it('fails with a DicomError or decodes to the right size, and the codec still works afterwards', async () => {
    const good = await parseDicom(read(file)).decodeFrame(0);
    for (let seed = 1; seed <= 5; seed++) {
      const outcome = await parseDicom(corrupt(read(file), seed))
        .decodeFrame(0)
        .catch((error: unknown) => error);
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(DicomError);
      else expect((outcome as Int16Array).length).toBe(512 * 512);
    }
    expect(Array.from(await parseDicom(read(file)).decodeFrame(0))).toEqual(Array.from(good));
  });
});

describe('a codestream that does not match the header', () => {
  it('is refused when its size differs from Rows x Columns', async () => {
    const bytes = read('CT1_JLSL.dcm');
    const rows = Buffer.from(bytes).indexOf(Buffer.from([0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00, 0x00, 0x02]));
    bytes.set([0x00, 0x01], rows + 8); // Rows 512 -> 256
    await expect(parseDicom(bytes).decodeFrame(0)).rejects.toThrow(PixelDecodeError);
  });
});

describe.each([
  ['CT1_J2KR.dcm', [0xff, 0x4f, 0xff, 0x51]],
  ['CT1_JLSL.dcm', [0xff, 0xd8, 0xff, 0xf7]],
])('a %s whose codestream header is destroyed', (file, marker) => {
  it('is refused with a PixelDecodeError, and the WebAssembly codec decodes the next frame correctly', async () => {
    const good = await parseDicom(read(file)).decodeFrame(0);
    const damaged = read(file);
    const at = Buffer.from(damaged).indexOf(Buffer.from(marker));
    expect(at).toBeGreaterThan(0);
    damaged.fill(0xff, at + 2, at + 40);
    await expect(parseDicom(damaged).decodeFrame(0)).rejects.toThrow(PixelDecodeError);
    expect(Array.from(await parseDicom(read(file)).decodeFrame(0))).toEqual(Array.from(good));
  });
});

describe('initCodecs', () => {
  it('loads the three WebAssembly codecs once and can be called again', async () => {
    const { initCodecs } = await import('./codecs');
    await expect(initCodecs()).resolves.toBeUndefined();
    await expect(initCodecs()).resolves.toBeUndefined();
  });
});
