import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DicomError, parseDicom } from '@covseg/dicom';
import { describe, expect, it } from 'vitest';
import type { CorpusEntry } from '../fixtures/bad-input/make-corpus';

const corpusDir = resolve(__dirname, '../fixtures/bad-input');
const manifest = JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as CorpusEntry[];
const dicomCases = manifest.filter((e) => e.kind === 'dicom');

/** Parses and decodes every frame: a hostile file must fail in one of the two, with a DicomError. */
async function parseAndDecode(bytes: Uint8Array): Promise<number> {
  const instance = parseDicom(bytes);
  for (let i = 0; i < instance.frames(); i += 1) await instance.decodeFrame(i);
  return instance.frames();
}

describe('parseDicom against the hostile-input corpus', () => {
  it('holds at least 30 hostile inputs, each described in the manifest', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(30);
    for (const entry of manifest) expect(readFileSync(join(corpusDir, 'files', entry.file)).length, entry.file).toBeGreaterThanOrEqual(0);
  });

  it('parses the clean base slice the corpus is derived from', async () => {
    const instance = parseDicom(readFileSync(join(corpusDir, 'ct-64x64-base.dcm')));
    expect(instance.dataset.Rows).toBe(64);
    expect(await instance.decodeFrame(0)).toHaveLength(64 * 64);
  });

  it.each(dicomCases.filter((e) => e.parse === 'error').map((e) => [e.file, e.description]))('refuses %s (%s) with a DicomError', async (file) => {
    const bytes = new Uint8Array(readFileSync(join(corpusDir, 'files', file)));
    let thrown: unknown;
    try {
      await parseAndDecode(bytes);
    } catch (error) {
      thrown = error;
    }
    expect(thrown, `${file} was accepted`).toBeInstanceOf(DicomError);
    // Messages name the operation; they never dump file contents.
    expect((thrown as Error).message.length).toBeLessThan(500);
  });

  it.each(dicomCases.filter((e) => e.parse === 'ok').map((e) => [e.file, e.description]))('parses or cleanly refuses the well-formed but unusual %s (%s)', async (file) => {
    const outcome = await parseAndDecode(new Uint8Array(readFileSync(join(corpusDir, 'files', file)))).catch((error: unknown) => error);
    if (typeof outcome !== 'number') expect(outcome).toBeInstanceOf(DicomError);
  });
});
