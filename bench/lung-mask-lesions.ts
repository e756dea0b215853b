// Lung mask against dense lesions (issue 12 item 5), not part of `npm test`:
//   flock /tmp/covseg-bench.lock node scripts/run-ts.mjs bench/lung-mask-lesions.ts [--png DIR] [--only NAME]
// 1. Every CT series at hand (sharedCtSeries): lung volume, right / left, and the mask's CPU time.
// 2. On the whole-chest series (LIDC-IDRI-0001, LIDC-IDRI-0002), a 15 mm ball of 40 HU consolidation painted
//    against the pleura at each site of tests/support/painted-lesions.ts: the share of it inside the lung
//    (on the painted lesion's side), and the lung volume added elsewhere (mL beyond the lesion itself).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildWindowLut, computeLungMask, type CtVolumeInput, encodePng, quantify, windowToUint8 } from '@covseg/segmentation';
import { LESION_SITES, paintLesion } from '../tests/support/painted-lesions';
import { loadCtSeries, sharedCtSeries } from './ct-series-volume';

const { values } = parseArgs({ options: { png: { type: 'string' }, only: { type: 'string' } } });

const orientation = (v: CtVolumeInput) => ({
  columnsIncreaseTowardPatientLeft: v.columnsIncreaseTowardPatientLeft!,
  slicesIncreaseTowardHead: v.slicesIncreaseTowardHead!,
  rowsIncreaseTowardPosterior: v.rowsIncreaseTowardPosterior!,
});

async function main(): Promise<void> {
  for (const { name, paths } of sharedCtSeries()) {
    if (values.only && !name.includes(values.only)) continue;
    const v = await loadCtSeries(paths);
    const voxelMl = (v.rowSpacingMm * v.columnSpacingMm * v.sliceSpacingMm) / 1000;
    const t = process.cpuUsage();
    const lung = computeLungMask(v.hu, v, v, orientation(v));
    const cpu = process.cpuUsage(t);
    const q = quantify(new Uint8Array(v.hu.length), lung.mask, v, lung.side);
    console.log(JSON.stringify({ series: name, slices: v.slices, lungMl: +q.lungMl.toFixed(1), rightMl: +(q.right?.lungMl ?? 0).toFixed(1), leftMl: +(q.left?.lungMl ?? 0).toFixed(1), lungCpuMs: Math.round((cpu.user + cpu.system) / 1000), sideSha256: createHash('sha256').update(lung.side).digest('hex').slice(0, 16) }));
    if (values.png && name.startsWith('ricord')) await writeOutlines(values.png, name, v, lung.side, [...Array(v.slices).keys()].filter((z) => z % 3 === 0));
    if (!name.startsWith('lidc')) continue;
    let lungCount = 0;
    for (let i = 0; i < lung.mask.length; i++) lungCount += lung.mask[i]!;
    for (const site of LESION_SITES) {
      const lesion = paintLesion(v, lung, site);
      const sick = computeLungMask(lesion.hu, v, v, orientation(v));
      const inside = lesion.voxels.filter((i) => sick.side[i] === lesion.side).length;
      let sickCount = 0;
      for (let i = 0; i < sick.mask.length; i++) sickCount += sick.mask[i]!;
      console.log(JSON.stringify({ series: name, site, centre: lesion.centre, lesionMl: +(lesion.voxels.length * voxelMl).toFixed(1), insidePercent: +((100 * inside) / lesion.voxels.length).toFixed(1), lungChangeMl: +((sickCount - lungCount) * voxelMl).toFixed(1) }));
      if (values.png) await writeOutlines(values.png, `${name}-${site}`, { ...v, hu: lesion.hu }, sick.side, [lesion.centre[2]]);
    }
  }
}

/** Lung-window slices with the right lung outlined green, the left orange. */
async function writeOutlines(dir: string, name: string, v: CtVolumeInput, side: Uint8Array, zs: number[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const plane = v.rows * v.columns;
  const lut = buildWindowLut(-600, 1500);
  const grey = new Uint8Array(plane);
  for (const z of zs) {
    windowToUint8(v.hu.subarray(z * plane, (z + 1) * plane), -600, 1500, grey, lut);
    const s = side.subarray(z * plane, (z + 1) * plane);
    const rgb = new Uint8Array(plane * 3);
    for (let i = 0; i < plane; i++) {
      const x = i % v.columns;
      const edge = s[i] !== 0 && (x === 0 || x === v.columns - 1 || s[i - 1] !== s[i] || s[i + 1] !== s[i] || s[i - v.columns] !== s[i] || s[i + v.columns] !== s[i]);
      rgb.set(edge ? (s[i] === 1 ? [0, 255, 0] : [255, 110, 0]) : [grey[i]!, grey[i]!, grey[i]!], 3 * i);
    }
    writeFileSync(join(dir, `${name}-z${z}.png`), await encodePng(rgb, v.columns, v.rows, 3));
  }
}

void main();
