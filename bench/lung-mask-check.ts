// Lung mask check on every CT series at hand (not part of `npm test`):
//   node scripts/run-ts.mjs bench/lung-mask-check.ts [--model FILE] [--png DIR] [SERIES_DIR ...]
// Without SERIES_DIR: the committed LIDC-IDRI-0001 plus the series of ../shared/data/ct, unpacked into
// the temp folder. Per series it prints lung volume (per side), the model's infection inside the lung
// (% of lung), and the share of the model's raw infection (the frame's thresholded probability before
// clipping to the lung) that falls outside the lung mask. With --png, writes overlays of chosen slices.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildWindowLut, computeLungFrame, computeLungMask, encodePng, placeProbability, quantify, SegmentationModel, segmentGrayImage, windowToUint8, writeModelInput } from '@covseg/segmentation';
import { DISPLAY_WINDOWS, renderFullField } from '../tests/support/full-field-render';
import { dicomFilesUnder, loadCtSeries, sharedCtSeries } from './ct-series-volume';

const { values, positionals } = parseArgs({
  options: { model: { type: 'string', default: 'models/covseg-unet.onnx' }, png: { type: 'string' } },
  allowPositionals: true,
});


async function main(): Promise<void> {
  const series = positionals.length > 0 ? positionals.map((dir) => ({ name: dir, paths: dicomFilesUnder(dir) })) : sharedCtSeries();
  const model = await SegmentationModel.load(values.model!, { batchSize: 8 });
  const c = model.contract;
  const lut = buildWindowLut(c.windowCenter, c.windowWidth);
  for (const { name, paths } of series) {
    const v = await loadCtSeries(paths);
    const plane = v.rows * v.columns;
    const t = performance.now();
    const lung = computeLungMask(v.hu, v, v, { columnsIncreaseTowardPatientLeft: v.columnsIncreaseTowardPatientLeft!, slicesIncreaseTowardHead: v.slicesIncreaseTowardHead!, rowsIncreaseTowardPosterior: v.rowsIncreaseTowardPosterior! });
    const lungMs = performance.now() - t;
    // The model's raw infection: every framed slice's thresholded probability, not clipped to the lung.
    const raw = new Uint8Array(v.hu.length);
    const grey = new Uint8Array(plane);
    const scratch = new Float32Array(plane);
    const s = c.inputSize;
    const input = new Float32Array(c.inputChannels * s * s);
    for (let z = 0; z < v.slices; z++) {
      const frame = computeLungFrame(lung.mask.subarray(z * plane, (z + 1) * plane), v.columns, v.rows, v, c);
      if (!frame) continue;
      windowToUint8(v.hu.subarray(z * plane, (z + 1) * plane), c.windowCenter, c.windowWidth, grey, lut);
      writeModelInput(grey, v.columns, frame, input, 0, s, c.inputChannels);
      const prob = await model.predict(input, 1);
      placeProbability(prob, s, frame, c.threshold, scratch, raw.subarray(z * plane, (z + 1) * plane), v.columns);
    }
    let rawCount = 0;
    let outside = 0;
    const infection = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === 0) continue;
      rawCount++;
      if (lung.mask[i] === 0) outside++;
      else infection[i] = 1;
    }
    const q = quantify(infection, lung.mask, v, lung.side);
    console.log(
      JSON.stringify({
        series: name,
        slices: v.slices,
        sliceMm: v.sliceSpacingMm,
        lungMl: +q.lungMl.toFixed(0),
        rightMl: +(q.right?.lungMl ?? 0).toFixed(0),
        leftMl: +(q.left?.lungMl ?? 0).toFixed(0),
        infectionMl: +q.infectionMl.toFixed(1),
        infectionPercent: +q.percentInvolved.toFixed(2),
        rawOutsideLungPercent: rawCount === 0 ? 0 : +((100 * outside) / rawCount).toFixed(1),
        lungMs: Math.round(lungMs),
      }),
    );
    // The middle lung slice as a full-field 8-bit upload (lung window, table visible): what the picture
    // path paints, and how much of it lies outside the HU lung mask, whole picture vs framed to the lungs.
    const lungSlices: number[] = [];
    for (let z = 0; z < v.slices; z++) if (lung.mask.subarray(z * plane, (z + 1) * plane).indexOf(1) >= 0) lungSlices.push(z);
    const zm = lungSlices[Math.floor(lungSlices.length / 2)];
    if (zm !== undefined) {
      const picture = renderFullField(v.hu.subarray(zm * plane, (zm + 1) * plane), v.columns, v.rows, DISPLAY_WINDOWS.lung, true);
      const upload = { pixels: picture, width: v.columns, height: v.rows };
      const figures = [];
      for (const findLungs of [false, true]) {
        const r = await segmentGrayImage(model, upload, { findLungs });
        let n = 0, out = 0;
        for (let i = 0; i < plane; i++) if (r.mask[i]) { n++; if (!lung.mask[zm * plane + i]) out++; }
        figures.push({ findLungs, paintedPercent: +((100 * n) / plane).toFixed(2), outsideLungPercent: n === 0 ? 0 : +((100 * out) / n).toFixed(1) });
      }
      console.log(JSON.stringify({ series: name, fullFieldUploadSlice: zm, figures }));
    }
    if (values.png) await writeOverlays(values.png, name, v, lung.mask, lung.side, raw, lut);
  }
  await model.release();
}

/** Overlays of a few slices: lung outline (right green, left blue), model raw infection red. */
async function writeOverlays(dir: string, name: string, v: Awaited<ReturnType<typeof loadCtSeries>>, mask: Uint8Array, side: Uint8Array, raw: Uint8Array, lut: Uint8Array): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const plane = v.rows * v.columns;
  const lungSlices: number[] = [];
  for (let z = 0; z < v.slices; z++) if (mask.subarray(z * plane, (z + 1) * plane).indexOf(1) >= 0) lungSlices.push(z);
  if (lungSlices.length === 0) return;
  const pick = [...new Set([0.05, 0.15, 0.3, 0.5, 0.7, 0.9].map((f) => lungSlices[Math.floor(f * (lungSlices.length - 1))]!))];
  const grey = new Uint8Array(plane);
  for (const z of pick) {
    windowToUint8(v.hu.subarray(z * plane, (z + 1) * plane), -600, 1500, grey, lut);
    const rgb = new Uint8Array(plane * 3);
    const s = side.subarray(z * plane, (z + 1) * plane);
    const r = raw.subarray(z * plane, (z + 1) * plane);
    for (let i = 0; i < plane; i++) {
      const x = i % v.columns;
      const edge = s[i] !== 0 && (x === 0 || x === v.columns - 1 || s[i - 1] !== s[i] || s[i + 1] !== s[i] || s[i - v.columns] !== s[i] || s[i + v.columns] !== s[i]);
      let [R, G, B] = [grey[i]!, grey[i]!, grey[i]!];
      if (r[i]) [R, G, B] = [Math.min(255, R + 120), G >> 1, B >> 1];
      if (edge) [R, G, B] = s[i] === 1 ? [0, 255, 0] : [0, 160, 255];
      rgb.set([R, G, B], 3 * i);
    }
    const png = await encodePng(rgb, v.columns, v.rows, 3);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}-z${z}.png`), png);
  }
}

void main();
