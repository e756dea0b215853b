import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { data } from 'dcmjs';
import { describe, expect, it } from 'vitest';

import { UnsupportedTransferSyntaxError } from '../errors';
import { SegReadError } from './seg-errors';
import { readSeg } from './seg-reader';
import type { SegSourceSlice } from './seg-types';

const fixtures = resolve(__dirname, '../../../../tests/fixtures/seg');
const read = (path: string) => new Uint8Array(readFileSync(join(fixtures, path)));

function sliceOf(path: string): SegSourceSlice {
  const bytes = readFileSync(path);
  const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).dict);
  return { sopInstanceUID: String(ds.SOPInstanceUID), sopClassUID: String(ds.SOPClassUID), imagePositionPatient: (ds.ImagePositionPatient as number[]).map(Number) };
}

/** The source slices of a CT folder, sorted by z (these series are axial). */
function sourceOf(folder: string): SegSourceSlice[] {
  const dir = join(fixtures, folder);
  return readdirSync(dir)
    .filter((name) => !name.startsWith('LICENSE'))
    .map((name) => sliceOf(join(dir, name)))
    .sort((a, b) => a.imagePositionPatient[2] - b.imagePositionPatient[2]);
}

/** Byte equality without vitest's element-wise diff, which takes seconds on 800 000-voxel masks. */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const count = (labelmap: Uint8Array, from = 0, to = labelmap.length) => labelmap.subarray(from, to).reduce((n, v) => n + v, 0);
const perSlice = (labelmap: Uint8Array, slices: number) => Array.from({ length: slices }, (_, z) => count(labelmap, (z * labelmap.length) / slices, ((z + 1) * labelmap.length) / slices));

describe('readSeg', () => {
  it('places the frames of the dcmqi liver SEG on the CT slices they were derived from', () => {
    const source = sourceOf('dcmqi/ct-3slice');
    const result = readSeg(read('dcmqi/liver.dcm'), source);
    expect(result.slices).toEqual(source);
    expect(result.segments).toHaveLength(1);
    expect(result.segments[0]).toMatchObject({ label: 'Liver', algorithmType: 'SEMIAUTOMATIC', recommendedDisplayRgb: [221, 130, 101] });
    expect(result.segments[0].type).toMatchObject({ CodeMeaning: 'Liver' });
    const counts = perSlice(result.segments[0].labelmap, 3);
    expect(counts.every((c) => c > 0)).toBe(true);

    // The same SEG against the source in reverse order puts the same masks on the reversed slices.
    const reversed = readSeg(read('dcmqi/liver.dcm'), [...source].reverse());
    expect(perSlice(reversed.segments[0].labelmap, 3)).toEqual([...counts].reverse());
  });

  it('matches frames by ImagePositionPatient when the source SOP Instance UIDs are not the referenced ones', () => {
    const source = sourceOf('dcmqi/ct-3slice');
    const renamed = source.map((slice, i) => ({ ...slice, sopInstanceUID: `1.2.3.${i}` }));
    expect(same(readSeg(read('dcmqi/liver.dcm'), renamed).segments[0].labelmap, readSeg(read('dcmqi/liver.dcm'), source).segments[0].labelmap)).toBe(true);
  });

  it('rejects a frame that neither references nor lies on any source slice', () => {
    const shifted = sourceOf('dcmqi/ct-3slice').map((slice, i) => ({ ...slice, sopInstanceUID: `1.2.3.${i}`, imagePositionPatient: [0, 0, 500 + i] }));
    expect(() => readSeg(read('dcmqi/liver.dcm'), shifted)).toThrow(SegReadError);
    expect(() => readSeg(read('dcmqi/liver.dcm'), shifted)).toThrow(/frame 1 matches no source slice/);
  });

  it('orders slices along the normal from the frame positions when no source is given', () => {
    const result = readSeg(read('dcmqi/liver.dcm'));
    expect(result.slices.map((s) => s.imagePositionPatient[2])).toEqual([-128.69, -127.69, -126.69]);
    expect(same(result.segments[0].labelmap, readSeg(read('dcmqi/liver.dcm'), sourceOf('dcmqi/ct-3slice')).segments[0].labelmap)).toBe(true);
  });

  it('reads all five overlapping segments of dcmqi partial_overlaps, overlaps kept', () => {
    const result = readSeg(read('dcmqi/partial_overlaps.dcm'), sourceOf('dcmqi/ct-3slice'));
    expect(result.segments.map((s) => s.label)).toEqual(['GREEN', 'ORANGE', 'PURPLE', 'LIGHT_BLUE', 'DARK_BLUE']);
    const overlapping = result.segments[0].labelmap.some((v, i) => v === 1 && result.segments.slice(1).some((s) => s.labelmap[i] === 1));
    expect(overlapping).toBe(true);
  });

  it('reads every pydicom re-encoding of the liver SEG (big endian, deflate, RLE) to the same labelmap', () => {
    const expected = readSeg(read('pydicom-liver-variants/liver.dcm')).segments[0].labelmap;
    expect(count(expected)).toBeGreaterThan(100_000);
    for (const variant of ['liver_expb.dcm', 'liver_deflate.dcm', 'liver_rle.dcm']) {
      expect(same(readSeg(read(`pydicom-liver-variants/${variant}`)).segments[0].labelmap, expected), variant).toBe(true);
    }
  });

  it('reads 510x510 1-bit frames that start mid-byte as the 512x512 masks cropped to 510x510', () => {
    const full = readSeg(read('pydicom-liver-variants/liver.dcm')).segments[0].labelmap;
    const cropped = new Uint8Array(3 * 510 * 510);
    for (let z = 0; z < 3; z++) for (let y = 0; y < 510; y++) cropped.set(full.subarray(z * 512 * 512 + y * 512, z * 512 * 512 + y * 512 + 510), z * 510 * 510 + y * 510);
    for (const variant of ['liver_nonbyte_aligned.dcm', 'liver_nonbyte_aligned_deflate.dcm', 'liver_nonbyte_aligned_rle.dcm']) {
      const result = readSeg(read(`pydicom-liver-variants/${variant}`));
      expect([result.rows, result.columns]).toEqual([510, 510]);
      expect(same(result.segments[0].labelmap, cropped), variant).toBe(true);
    }
  });

  it('refuses JPEG 2000 SEGs with UnsupportedTransferSyntaxError', () => {
    expect(() => readSeg(read('pydicom-liver-variants/liver_j2k.dcm'))).toThrow(UnsupportedTransferSyntaxError);
    expect(() => readSeg(read('pydicom-liver-variants/liver_j2k.dcm'))).toThrow(/1\.2\.840\.10008\.1\.2\.4\.90/);
  });

  it('refuses the Label Map Segmentation class clearly', () => {
    expect(() => readSeg(read('dcmqi/sparse-labelmap-noppv.dcm'))).toThrow(/is a Label Map Segmentation/);
  });

  it('refuses bytes that are not DICOM', () => {
    expect(() => readSeg(new TextEncoder().encode('not dicom at all'))).toThrow(SegReadError);
  });

  it('aligns the highdicom binary SEG to its 16x16 CT source, frames that only carry positions included', () => {
    const source = sourceOf('highdicom/referenced-ct-16x16');
    const result = readSeg(read('highdicom/seg_image_ct_binary.dcm'), source);
    expect(result.slices).toHaveLength(4);
    const counts = perSlice(result.segments[0].labelmap, 4);
    // The SEG has 3 frames for the 4 slices: exactly one slice stays empty.
    expect(counts.filter((c) => c === 0)).toHaveLength(1);
    expect(count(result.segments[0].labelmap)).toBe(count(readSeg(read('highdicom/seg_image_ct_binary.dcm')).segments[0].labelmap));
  });

  it('reads a FRACTIONAL SEG holding only 0 and 1 exactly like its BINARY twin', () => {
    const source = sourceOf('highdicom/referenced-ct-16x16');
    const fractional = readSeg(read('highdicom/seg_image_ct_binary_fractional.dcm'), source);
    expect(fractional.segmentationType).toBe('FRACTIONAL');
    expect(same(fractional.segments[0].labelmap, readSeg(read('highdicom/seg_image_ct_binary.dcm'), source).segments[0].labelmap)).toBe(true);
  });

  it('thresholds a true FRACTIONAL SEG at half of MaximumFractionalValue', () => {
    const result = readSeg(read('highdicom/seg_image_ct_true_fractional.dcm'));
    const values = new Set(result.segments[0].labelmap);
    expect([...values].sort()).toEqual([0, 1]);
  });

  it('reads both overlapping segments of the highdicom overlap SEG', () => {
    const result = readSeg(read('highdicom/seg_image_ct_binary_overlap.dcm'), sourceOf('highdicom/referenced-ct-16x16'));
    expect(result.segments.map((s) => s.label)).toEqual(['first segment', 'second segment']);
    expect(result.segments.every((s) => count(s.labelmap) > 0)).toBe(true);
  });

  it('reads the highdicom single-frame SEG onto the one CT image it references', () => {
    const source = [sliceOf(join(fixtures, 'highdicom/ct_image.dcm'))];
    const result = readSeg(read('highdicom/seg_image_ct_binary_single_frame.dcm'), source);
    expect([result.rows, result.columns, result.slices.length]).toEqual([128, 128, 1]);
    expect(count(result.segments[0].labelmap)).toBeGreaterThan(0);
  });
});
