import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DicomError, parseDicom } from '@covseg/dicom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const base = new Uint8Array(readFileSync(resolve(__dirname, '../fixtures/bad-input/ct-64x64-base.dcm')));
// Fixed seed and bounded runs: reproducible in CI; a failure prints the seed and the shrunk counterexample.
const FUZZ = { seed: 20260326, numRuns: 400 };

/** One corruption of the base slice: overwrite bytes, cut, splice random bytes in, or repeat a slice. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat({ max: base.length - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: base.length }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: base.length }), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  // Header region (first 1 kB) gets its own overwrite so length fields and VRs are hit often.
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.integer({ min: 128, max: 1024 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  // Offsets were drawn for the untouched base; earlier cuts may have made the file shorter.
  const at = Math.min(m.at, bytes.length);
  if (m.kind === 'truncate') return bytes.subarray(0, at);
  if (m.kind === 'insert') {
    const out = new Uint8Array(bytes.length + m.bytes.length);
    out.set(bytes.subarray(0, at));
    out.set(m.bytes, at);
    out.set(bytes.subarray(at), at + m.bytes.length);
    return out;
  }
  const out = bytes.slice();
  out.set(m.bytes.subarray(0, out.length - at), at);
  return out;
}

/** Resolves to the frame count, or rejects with whatever parse or decode threw. */
async function parseAndDecode(bytes: Uint8Array): Promise<number> {
  const instance = parseDicom(bytes);
  for (let i = 0; i < instance.frames(); i += 1) await instance.decodeFrame(i);
  return instance.frames();
}

describe('parseDicom under random corruption (fast-check)', () => {
  it('either parses a corrupted slice or refuses it with a DicomError, never another exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const bytes = mutations.reduce(apply, base);
        const outcome = await parseAndDecode(bytes).catch((error: unknown) => error);
        if (typeof outcome !== 'number') {
          expect(outcome, String(outcome)).toBeInstanceOf(DicomError);
          expect((outcome as Error).message.length).toBeLessThan(1000);
        }
      }),
      FUZZ,
    );
  });

  it('never lets a corrupted file decode to more pixels than its header declares', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const bytes = mutations.reduce(apply, base);
        let instance;
        try {
          instance = parseDicom(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DicomError);
          return;
        }
        if (instance.frames() === 0) return;
        const frame = await instance.decodeFrame(0).catch((error: unknown) => error);
        if (frame instanceof Error) return expect(frame).toBeInstanceOf(DicomError);
        expect((frame as ArrayLike<number>).length).toBe(Number(instance.dataset.Rows) * Number(instance.dataset.Columns) * Number(instance.dataset.SamplesPerPixel ?? 1));
      }),
      { ...FUZZ, numRuns: 200 },
    );
  });
});
