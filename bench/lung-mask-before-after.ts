// Before/after pictures of the lung mask on painted lesions (issue 12 item 5), for the model card; not part of `npm test`:
//   node scripts/run-ts.mjs bench/lung-mask-before-after.ts OLD_LUNG_DIR NEW_LUNG_DIR OUT.png [--sites mediastinal,basal]
// The *_LUNG_DIR are copies of libs/segmentation/src/lung as for bench/lung-mask-ab.ts. For LIDC-IDRI-0001 and
// -0002 and each site, a lesion is painted (tests/support/painted-lesions.ts) and the slice where the new mask
// keeps most of what the old one lost is shown, 100 mm square around the lesion, in a soft-tissue window (W 400, L 40: the
// painted 40 HU lesion is mid grey, enhanced blood white, fat dark): the old mask left, the new right; lung
// outlined green, lesion voxels outside the lung tinted red, inside tinted blue. LIDC-IDRI is CC BY 3.0.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { computeLungMask, encodePng } from '@covseg/segmentation';
import { paintLesion, type LesionSite } from '../tests/support/painted-lesions';
import { loadCtSeries, sharedCtSeries } from './ct-series-volume';

const { values, positionals } = parseArgs({ options: { sites: { type: 'string', default: 'mediastinal,basal' } }, allowPositionals: true });

async function main(): Promise<void> {
  if (positionals.length !== 3) throw new Error('usage: lung-mask-before-after.ts OLD_LUNG_DIR NEW_LUNG_DIR OUT.png');
  type Masker = { computeLungMask: typeof computeLungMask };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const [old, current] = positionals.slice(0, 2).map((dir) => require(resolve(dir, 'lung-mask.ts')) as Masker) as [Masker, Masker];
  const tiles: Uint8Array[] = [];
  const S = 200; // tile side in pixels (2x)
  for (const { name, paths } of sharedCtSeries().filter((s) => s.name.startsWith('lidc'))) {
    const v = await loadCtSeries(paths);
    const o = { columnsIncreaseTowardPatientLeft: v.columnsIncreaseTowardPatientLeft!, slicesIncreaseTowardHead: v.slicesIncreaseTowardHead!, rowsIncreaseTowardPosterior: v.rowsIncreaseTowardPosterior! };
    const plane = v.rows * v.columns;
    const lung = current.computeLungMask(v.hu, v, v, o);
    for (const site of values.sites!.split(',') as LesionSite[]) {
      const lesion = paintLesion(v, lung, site);
      const masks = [old, current].map((m) => m.computeLungMask(lesion.hu, v, v, o).side);
      // The slice where the new mask keeps the most lesion voxels that the old one lost.
      const gained = new Map<number, number>();
      for (const i of lesion.voxels) if (masks[0]![i] !== lesion.side && masks[1]![i] === lesion.side) gained.set(Math.floor(i / plane), (gained.get(Math.floor(i / plane)) ?? 0) + 1);
      const z = [...gained].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? lesion.centre[2];
      const inLesion = new Set(lesion.voxels.filter((i) => Math.floor(i / plane) === z));
      let sx = 0, sy = 0;
      for (const i of inLesion) { sx += i % v.columns; sy += Math.floor((i % plane) / v.columns); }
      const half = Math.round(50 / v.columnSpacingMm);
      const cx = Math.round(sx / inLesion.size), cy = Math.round(sy / inLesion.size);
      for (const side of masks) {
        const tile = new Uint8Array(S * S * 3);
        for (let ty = 0; ty < S; ty++) for (let tx = 0; tx < S; tx++) {
          const x = cx - half + Math.floor((tx * 2 * half) / S), y = cy - half + Math.floor((ty * 2 * half) / S);
          if (x < 1 || y < 1 || x >= v.columns - 1 || y >= v.rows - 1) continue;
          const i = z * plane + y * v.columns + x;
          const g = Math.max(0, Math.min(255, Math.round(((lesion.hu[i]! + 160) / 400) * 255)));
          const s = side[i]!;
          const edge = s !== 0 && (side[i - 1] !== s || side[i + 1] !== s || side[i - v.columns] !== s || side[i + v.columns] !== s);
          let c = [g, g, g];
          if (inLesion.has(i)) c = s === lesion.side ? [g >> 1, g >> 1, 255] : [255, g >> 1, g >> 1];
          if (edge) c = [0, 255, 0];
          tile.set(c, (ty * S + tx) * 3);
        }
        tiles.push(tile);
      }
      console.log(JSON.stringify({ series: name, site, slice: z }));
    }
  }
  // Two tiles (old, new) per row, 4 px apart.
  const rowsOut = tiles.length / 2, W = 2 * S + 4, H = rowsOut * (S + 4);
  const rgb = new Uint8Array(W * H * 3).fill(255);
  tiles.forEach((t, k) => {
    const ox = (k % 2) * (S + 4), oy = Math.floor(k / 2) * (S + 4);
    for (let y = 0; y < S; y++) rgb.set(t.subarray(y * S * 3, (y + 1) * S * 3), ((oy + y) * W + ox) * 3);
  });
  writeFileSync(positionals[2]!, await encodePng(rgb, W, H, 3));
}

void main();
