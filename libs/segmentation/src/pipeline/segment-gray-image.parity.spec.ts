import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentationModel } from '../inference/segmentation-model';
import { segmentGrayImage } from './segment-gray-image';

// Reference made by test-support/make-parity-fixture.py with PyTorch (F.interpolate bilinear,
// align_corners=False, x / 255, the same hand-set conv as the tiny ONNX model, threshold 0.5).
const support = join(__dirname, '../../test-support');
const meta = JSON.parse(readFileSync(join(support, 'parity.json'), 'utf8')) as { width: number; height: number; maskPixels: number };
const pixels = new Uint8Array(readFileSync(join(support, 'parity-image.u8')));
const raw = readFileSync(join(support, 'parity-prob.f32'));
const reference = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));

let model: SegmentationModel;
beforeAll(async () => {
  model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1 });
});
afterAll(() => model.release());

describe('segmentGrayImage parity with the PyTorch reference', () => {
  it('reproduces the PyTorch probability map of a 97 x 73 slice to 1e-5', async () => {
    const { probability } = await segmentGrayImage(model, { pixels, width: meta.width, height: meta.height });
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(probability[i]! - reference[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('produces the same mask as thresholding the PyTorch map', async () => {
    const { mask } = await segmentGrayImage(model, { pixels, width: meta.width, height: meta.height });
    let count = 0;
    for (let i = 0; i < mask.length; i++) {
      count += mask[i]!;
      // A pixel within float noise of the threshold may go either way; none should here, but do not pretend otherwise.
      if (Math.abs(reference[i]! - 0.5) > 1e-5) expect(mask[i]).toBe(reference[i]! >= 0.5 ? 1 : 0);
    }
    expect(count).toBe(meta.maskPixels);
  });
});
