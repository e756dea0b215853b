import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusion, decodeGrayImage, encodePng, SegmentationModel, segmentGrayImage, summarizeMetrics } from '@covseg/segmentation';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const tinyModel = join(root, 'libs/segmentation/test-support/tiny-covseg.onnx');
const work = mkdtempSync(join(tmpdir(), 'covseg-evaluate-'));
const imagesDir = join(work, 'images');
const masksDir = join(work, 'masks');
const outDir = join(work, 'out');

/** Synthetic slices: grey 70 with bright (235) blobs; the truth is the blob shifted a little, so scores are neither 0 nor 1. */
const cases = [
  { name: '1', ext: 'jpg', width: 300, height: 240, blobs: [[100, 120, 30], [200, 90, 15]] },
  { name: '2', ext: 'png', width: 256, height: 256, blobs: [[128, 128, 40]] },
  { name: '3', ext: 'jpg', width: 411, height: 297, blobs: [[300, 200, 12]] },
  { name: '4', ext: 'png', width: 230, height: 260, blobs: [] }, // empty truth, empty prediction
  { name: '5', ext: 'png', width: 90, height: 120, blobs: [[45, 60, 3]] }, // too small for the model to see
] as const;

async function evaluateCli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(root, 'scripts/run-ts.mjs'), join(root, 'libs/segmentation/src/cli/evaluate.cli.ts'), ...args], { cwd: root });
}

beforeAll(async () => {
  mkdirSync(imagesDir);
  mkdirSync(masksDir);
  for (const c of cases) {
    const rgba = new Uint8Array(c.width * c.height * 4);
    const truth = new Uint8Array(c.width * c.height);
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const i = y * c.width + x;
        const inBlob = c.blobs.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
        const inTruth = c.blobs.some(([cx, cy, r]) => (x - cx - 4) ** 2 + (y - cy) ** 2 <= r * r);
        const v = inBlob ? 235 : 70;
        rgba.set([v, v, v, 255], i * 4);
        truth[i] = inTruth ? 255 : 0;
      }
    }
    const grey = Uint8Array.from({ length: c.width * c.height }, (_, i) => rgba[i * 4]!);
    const bytes = c.ext === 'jpg' ? await sharp(rgba, { raw: { width: c.width, height: c.height, channels: 4 } }).jpeg({ quality: 90 }).toBuffer() : await encodePng(grey, c.width, c.height, 1);
    writeFileSync(join(imagesDir, `${c.name}.${c.ext}`), bytes);
    writeFileSync(join(masksDir, `${c.name}.png`), await encodePng(truth, c.width, c.height, 1));
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run evaluate', () => {
  it('prints the same numbers as segmentGrayImage (the POST /api/segment-image path) on the same images', async () => {
    const { stdout } = await evaluateCli('--images', imagesDir, '--masks', masksDir, '--out', outDir, '--model', tinyModel, '--threads', '1');
    const lines = stdout.trim().split('\n');
    const printed = JSON.parse(lines.at(-1)!);

    const model = await SegmentationModel.load(tinyModel, { intraOpThreads: 1 });
    const confusions = [];
    for (const c of cases) {
      const image = await decodeGrayImage(readFileSync(join(imagesDir, `${c.name}.${c.ext}`)));
      const truth = (await decodeGrayImage(readFileSync(join(masksDir, `${c.name}.png`)))).pixels.map((v) => (v >= 128 ? 1 : 0));
      confusions.push(confusion((await segmentGrayImage(model, image)).mask, truth));
    }
    await model.release();
    const direct = summarizeMetrics(confusions);

    expect(printed.n).toBe(cases.length);
    for (const key of ['dice', 'iou', 'precision', 'recall', 'specificity', 'pooledDice'] as const) expect(printed[key]).toBeCloseTo(direct[key], 5);
    // Real discrimination, not a constant: blobs found, the shifted truth makes it imperfect, the tiny blob is missed.
    expect(printed.dice).toBeGreaterThan(0.5);
    expect(printed.dice).toBeLessThan(0.95);
    expect(printed.model).toEqual({ name: 'tiny-bright-blob', version: '0.0.1-test', trained: false });
  });

  it('writes one side-by-side PNG per image: image | truth | prediction overlay', async () => {
    expect(readdirSync(outDir).sort()).toEqual(cases.map((c) => `${c.name}.png`).sort());
    const panel = await decodeGrayImage(readFileSync(join(outDir, '3.png')));
    expect(panel.width).toBe(3 * 411);
    expect(panel.height).toBe(297);
  });

  it('fails with a message naming the image that has no mask', async () => {
    rmSync(join(masksDir, '2.png'));
    const failure = evaluateCli('--images', imagesDir, '--masks', masksDir, '--model', tinyModel);
    await expect(failure).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/EvaluationInputError: .*no mask .* for 2/) });
  });
});
