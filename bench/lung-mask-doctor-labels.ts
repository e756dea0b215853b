// Doctors' infection outside our lung mask (issue 12 item 5: "no lesion voxel outside the lung"), not part
// of `npm test`:   node scripts/run-ts.mjs bench/lung-mask-doctor-labels.ts [--data DIR]
// The 50 doctor-labelled slices of ../shared/data/covid-infection (train/images, train-multiclass/masks:
// 1 ground-glass opacity, 2 consolidation) are 8-bit lung-window (L -600 / W 1500) thorax crops. Each is
// turned back into HU (grey g -> -1350 + 1500 g / 255; 255, the window's clipped top, read as bone, 1000 HU),
// set inside a 12 mm ring of 40 HU chest wall (the crops cut through the wall, and some through the lungs)
// and 4 mm of outside air, and given to computeLungMask as a one-slice volume, as the server does with an
// uploaded DICOM slice. The pixel size is taken as 320 mm over the crop's longer side (a thorax crop).
// Prints, per class and in all, the share of the doctors' pixels that falls outside the lung mask.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { computeLungMask, decodeGrayImage, encodePng } from '@covseg/segmentation';
import { decodeLabelMask } from '../libs/segmentation/src/image-io/label-mask-io';

const { values } = parseArgs({ options: { data: { type: 'string', default: resolve(__dirname, '../../shared/data/covid-infection') }, png: { type: 'string' } } });

async function main(): Promise<void> {
  const images = join(values.data!, 'train/images');
  const masks = join(values.data!, 'train-multiclass/masks');
  const totals = { ggo: [0, 0], consolidation: [0, 0] };
  const perSlice: number[] = [];
  for (const name of readdirSync(images).filter((n) => n.endsWith('.jpg')).sort((a, b) => parseInt(a) - parseInt(b))) {
    // These slices (MedSeg, via Inf-Net) lie on their side: anterior at the left, the spine at the right.
    // Turned a quarter clockwise they read as an axial DICOM slice does (anterior up), which the mask's
    // anterior and posterior rules assume.
    const image = turnClockwise(await decodeGrayImage(new Uint8Array(readFileSync(join(images, name)))));
    const labels = await decodeLabelMask(new Uint8Array(readFileSync(join(masks, name.replace(/\.jpg$/, '.png')))), 2);
    const mask = { ...turnClockwise({ pixels: labels.labels, width: labels.width, height: labels.height }), labels: turnClockwise({ pixels: labels.labels, width: labels.width, height: labels.height }).pixels };
    const { width, height } = image;
    const pixelMm = 320 / Math.max(width, height);
    const wall = Math.round(12 / pixelMm);
    const air = Math.round(4 / pixelMm);
    const pad = wall + air;
    const columns = width + 2 * pad;
    const rows = height + 2 * pad;
    const hu = new Int16Array(columns * rows).fill(-1000);
    for (let y = air; y < rows - air; y++) hu.fill(40, y * columns + air, (y + 1) * columns - air);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const g = image.pixels[y * width + x]!;
        // 255 is everything at or above +150 HU, clipped: bone (or contrast), as gray-lungs.ts reads it too.
        hu[(y + pad) * columns + x + pad] = g === 255 ? 1000 : Math.round(-1350 + (1500 * g) / 255);
      }
    }
    const lung = computeLungMask(hu, { columns, rows, slices: 1 }, { rowSpacingMm: pixelMm, columnSpacingMm: pixelMm, sliceSpacingMm: 1 });
    let labelled = 0;
    let outside = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const label = mask.labels[y * width + x]!;
        if (label === 0) continue;
        const out = lung.mask[(y + pad) * columns + x + pad] === 0 ? 1 : 0;
        const t = label === 1 ? totals.ggo : totals.consolidation;
        t[0]!++;
        t[1]! += out;
        labelled++;
        outside += out;
      }
    }
    if (labelled > 0) perSlice.push((100 * outside) / labelled);
    if (values.png && outside > 0.1 * labelled) {
      // The picture with the lung outlined green, doctors' GGO yellow and consolidation red where outside it.
      mkdirSync(values.png, { recursive: true });
      const rgb = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = y * width + x;
          const j = (y + pad) * columns + x + pad;
          const g = image.pixels[i]!;
          const edge = lung.mask[j] !== 0 && (lung.mask[j - 1] === 0 || lung.mask[j + 1] === 0 || lung.mask[j - columns] === 0 || lung.mask[j + columns] === 0);
          const label = mask.labels[i]!;
          rgb.set(edge ? [0, 255, 0] : label !== 0 && lung.mask[j] === 0 ? (label === 2 ? [255, 0, 0] : [255, 255, 0]) : [g, g, g], 3 * i);
        }
      }
      writeFileSync(join(values.png, name.replace('.jpg', '.png')), await encodePng(rgb, width, height, 3));
    }
  }
  const pct = ([n, out]: number[]) => +((100 * out!) / Math.max(1, n!)).toFixed(2);
  const all = [totals.ggo[0]! + totals.consolidation[0]!, totals.ggo[1]! + totals.consolidation[1]!];
  perSlice.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      slices: perSlice.length,
      infectionOutsidePercent: pct(all),
      ggoOutsidePercent: pct(totals.ggo),
      consolidationOutsidePercent: pct(totals.consolidation),
      consolidationPixels: totals.consolidation[0],
      slicesOver10PercentOutside: perSlice.filter((p) => p > 10).length,
      worstSlicePercent: +perSlice[perSlice.length - 1]!.toFixed(1),
    }),
  );
}

/** The picture turned 90 degrees clockwise: the left column becomes the top row. */
function turnClockwise(image: { pixels: Uint8Array; width: number; height: number }): { pixels: Uint8Array; width: number; height: number } {
  const { pixels, width, height } = image;
  const out = new Uint8Array(pixels.length);
  // (x, y) -> (height - 1 - y, x) in a picture `height` wide and `width` tall.
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[x * height + (height - 1 - y)] = pixels[y * width + x]!;
  return { pixels: out, width: height, height: width };
}

void main();
