import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusion, decodeGrayImage, encodePng, SegmentationModel, segmentGrayImage, summarizeMetrics } from '@covseg/segmentation';
import { encodePalettePng } from '../factories/palette-png.factory';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const support = join(root, 'libs/segmentation/test-support');
const multiModel = join(support, 'tiny-covseg-multiclass.onnx');
const binaryModel = join(support, 'tiny-covseg.onnx');
const work = mkdtempSync(join(tmpdir(), 'covseg-evaluate-mc-'));
const imagesDir = join(work, 'images');
const masksDir = join(work, 'masks');
const unionMasksDir = join(work, 'union-masks');

/*
 * Synthetic slices for the tiny multi-class model (infection where the 3x3 mean of grey/255 >= 0.6,
 * consolidation where >= 0.8): grey 60 with ground-glass disks (180) and consolidation disks (240).
 * The truth is each disk shifted 4 px, so scores are neither 0 nor 1; masks are palette PNGs like the
 * doctor-labelled train-multiclass masks (index 1 GGO, 2 consolidation).
 */
const cases = [
  { name: 'a', width: 160, height: 100, ggo: [[40, 50, 15]], consolidation: [[115, 50, 15]] },
  { name: 'b', width: 128, height: 128, ggo: [[64, 40, 20]], consolidation: [] },
  { name: 'c', width: 200, height: 150, ggo: [], consolidation: [[100, 75, 25]] },
  { name: 'd', width: 90, height: 90, ggo: [], consolidation: [] },
] as const;

async function evaluateCli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(root, 'scripts/run-ts.mjs'), join(root, 'libs/segmentation/src/cli/evaluate.cli.ts'), ...args], { cwd: root });
}

beforeAll(async () => {
  for (const dir of [imagesDir, masksDir, unionMasksDir]) mkdirSync(dir);
  const inDisk = (x: number, y: number, disks: ReadonlyArray<readonly number[]>, dx = 0) => disks.some(([cx, cy, r]) => (x - cx! - dx) ** 2 + (y - cy!) ** 2 <= r! * r!);
  for (const c of cases) {
    const grey = new Uint8Array(c.width * c.height);
    const labels = new Uint8Array(c.width * c.height);
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const i = y * c.width + x;
        grey[i] = inDisk(x, y, c.consolidation) ? 240 : inDisk(x, y, c.ggo) ? 180 : 60;
        labels[i] = inDisk(x, y, c.consolidation, 4) ? 2 : inDisk(x, y, c.ggo, 4) ? 1 : 0;
      }
    }
    writeFileSync(join(imagesDir, `${c.name}.png`), await encodePng(grey, c.width, c.height, 1));
    writeFileSync(join(masksDir, `${c.name}.png`), encodePalettePng(labels, c.width, c.height));
    writeFileSync(join(unionMasksDir, `${c.name}.png`), await encodePng(labels.map((v) => (v ? 255 : 0)), c.width, c.height, 1));
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run evaluate -- --multiclass', () => {
  it('adds per-class figures computed on the segment-image path, and keeps the union figures', async () => {
    const { stdout } = await evaluateCli('--images', imagesDir, '--masks', masksDir, '--multiclass', '--model', multiModel, '--threads', '1');
    const lines = stdout.trim().split('\n');
    const printed = JSON.parse(lines.at(-1)!);
    expect(lines[0]).toMatch(/\tggoDice=[0-9.]+\tconsolidationDice=[0-9.]+$/);

    // The same figures straight from segmentGrayImage and the palette indices.
    const model = await SegmentationModel.load(multiModel, { intraOpThreads: 1 });
    const union = [];
    const perClass: Record<'ggo' | 'consolidation', ReturnType<typeof confusion>[]> = { ggo: [], consolidation: [] };
    for (const c of cases) {
      const image = await decodeGrayImage(readFileSync(join(imagesDir, `${c.name}.png`)));
      const truth = (await decodeGrayImage(readFileSync(join(unionMasksDir, `${c.name}.png`)))).pixels.map((v) => (v ? 1 : 0));
      const { mask } = await segmentGrayImage(model, image);
      union.push(confusion(mask, truth));
      // Class truth from the shapes drawn above (the palette file is what the CLI read).
      const drawn = new Uint8Array(c.width * c.height);
      for (let y = 0; y < c.height; y++) {
        for (let x = 0; x < c.width; x++) {
          const on = (disks: ReadonlyArray<readonly number[]>) => disks.some(([cx, cy, r]) => (x - cx! - 4) ** 2 + (y - cy!) ** 2 <= r! * r!);
          drawn[y * c.width + x] = on(c.consolidation) ? 2 : on(c.ggo) ? 1 : 0;
        }
      }
      perClass.ggo.push(confusion(mask.map((v) => (v === 1 ? 1 : 0)), drawn.map((v) => (v === 1 ? 1 : 0))));
      perClass.consolidation.push(confusion(mask.map((v) => (v === 2 ? 1 : 0)), drawn.map((v) => (v === 2 ? 1 : 0))));
    }
    await model.release();

    expect(printed.n).toBe(cases.length);
    const keys = ['dice', 'iou', 'precision', 'recall', 'specificity', 'pooledDice'] as const;
    const direct = summarizeMetrics(union);
    for (const key of keys) expect(printed[key]).toBeCloseTo(direct[key], 5);
    for (const name of ['ggo', 'consolidation'] as const) {
      const expected = summarizeMetrics(perClass[name]);
      expect(Object.keys(printed.classes[name]).sort()).toEqual([...keys].sort());
      for (const key of keys) expect(printed.classes[name][key]).toBeCloseTo(expected[key], 5);
      // Found but imperfect (the truth is shifted): a real score, not a constant.
      expect(printed.classes[name].pooledDice).toBeGreaterThan(0.5);
      expect(printed.classes[name].pooledDice).toBeLessThan(0.97);
    }
    expect(printed.model.name).toBe('tiny-bright-blob-2class');

    // The union is what a binary evaluation of the union masks prints.
    const binary = JSON.parse((await evaluateCli('--images', imagesDir, '--masks', unionMasksDir, '--model', multiModel, '--threads', '1')).stdout.trim().split('\n').at(-1)!);
    for (const key of keys) expect(printed[key]).toBe(binary[key]);
    expect(binary.classes).toBeUndefined();
  });

  it('refuses --multiclass with a binary model, saying why', async () => {
    const failure = evaluateCli('--images', imagesDir, '--masks', masksDir, '--multiclass', '--model', binaryModel, '--threads', '1');
    await expect(failure).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/EvaluationInputError: .*--multiclass needs a multi-class model \(covseg\.classes\), but tiny-bright-blob 0\.0\.1-test is binary/) });
  });

  it('refuses a 0/255 binary mask as a class-label mask, naming the file', async () => {
    const failure = evaluateCli('--images', imagesDir, '--masks', unionMasksDir, '--multiclass', '--model', multiModel, '--threads', '1');
    await expect(failure).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/mask .*union-masks\/a\.png is not a class-label mask .*grey value 255, classes are 0\.\.2/) });
  });
});
