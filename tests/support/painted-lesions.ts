// Dense lesions painted into a real CT volume, to measure whether the lung mask keeps them: a ball of
// consolidation (40 HU) against the pleura at a chosen site. Only aerated lung (inside the given mask and
// below -500 HU) is repainted, so ribs, muscle, heart and liver keep their HU: the lesion replaces lung
// exactly where a real consolidation would. Shared by tests/medium/lung-mask-lesions.test.ts and
// bench/lung-mask-lesions.ts.
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT, type CtVolumeInput, type LungMask } from '@covseg/segmentation';

/** Where the lesion sits: against which pleura of which lung. */
export type LesionSite = 'posterolateral' | 'anterior' | 'mediastinal' | 'apical' | 'basal' | 'dependent';

export const LESION_SITES: readonly LesionSite[] = ['posterolateral', 'anterior', 'mediastinal', 'apical', 'basal', 'dependent'];

export interface PaintedLesion {
  /** A copy of the volume's HU with the lesion painted in. */
  hu: Int16Array;
  /** Volume indices repainted (lung before, lesion now). */
  voxels: number[];
  /** The lung (LUNG_SIDE_*) the lesion was painted into. */
  side: number;
  /** Centre as [x, y, z] voxel indices. */
  centre: [number, number, number];
}

/**
 * Paints a 3-D ball of `radiusMm` (default 15 mm) at 40 HU, centred on the lung's edge at `site`:
 * posterolateral (right lung, mid height, the voxel furthest back and out), anterior (right lung, 60 %
 * of its height, the most anterior voxel), mediastinal (left lung at 35 % of its height, where it lies
 * against the heart: the most medial voxel within 15 mm of its centroid's row), apical (right lung, its
 * topmost slice's centroid), basal (right lung, straight below its mid-height centroid, the last lung
 * voxel above the diaphragm). 'dependent' is not a ball: on the right lung's slices from 40 % to 60 % of
 * its height, every lung voxel within `radiusMm` of the lung's back on that slice becomes consolidation
 * (the dependent consolidation of COVID-19 pneumonia, which leaves a flat-bottomed aerated remainder).
 * The volume's orientation flags say which way is left, back and up.
 */
export function paintLesion(volume: CtVolumeInput, lung: LungMask, site: LesionSite, radiusMm = 15): PaintedLesion {
  const { columns, rows, slices } = volume;
  const plane = columns * rows;
  const leftHigh = volume.columnsIncreaseTowardPatientLeft ?? true;
  const backHigh = volume.rowsIncreaseTowardPosterior ?? true;
  const upHigh = volume.slicesIncreaseTowardHead ?? true;
  const side = site === 'mediastinal' ? LUNG_SIDE_LEFT : LUNG_SIDE_RIGHT;
  // Slices holding this lung, ordered feet to head.
  const zs: number[] = [];
  for (let z = 0; z < slices; z++) if (lung.side.subarray(z * plane, (z + 1) * plane).indexOf(side) >= 0) zs.push(z);
  if (upHigh === false) zs.reverse();
  if (zs.length < 10) throw new Error(`paintLesion: lung ${side} is on only ${zs.length} slices`);
  const at = (f: number) => zs[Math.round(f * (zs.length - 1))]!;
  const centroid = (z: number): [number, number] => {
    let sx = 0, sy = 0, n = 0;
    for (let i = 0; i < plane; i++) if (lung.side[z * plane + i] === side) { sx += i % columns; sy += Math.floor(i / columns); n++; }
    return [sx / n, sy / n];
  };
  // Patient-space scores per voxel: + toward the patient's right, back, and (for the medial search) left.
  const right = (x: number) => (leftHigh ? -x : x);
  const back = (y: number) => (backHigh ? y : -y);
  const extreme = (z: number, score: (x: number, y: number) => number): [number, number, number] => {
    let best = -Infinity, bx = 0, by = 0;
    for (let i = 0; i < plane; i++) {
      if (lung.side[z * plane + i] !== side) continue;
      const x = i % columns, y = (i - x) / columns;
      const s = score(x, y);
      if (s > best) { best = s; bx = x; by = y; }
    }
    return [bx, by, z];
  };
  let centre: [number, number, number] = [0, 0, 0];
  if (site === 'dependent') centre = [0, 0, at(0.5)];
  else if (site === 'posterolateral') centre = extreme(at(0.5), (x, y) => back(y) + right(x));
  else if (site === 'anterior') centre = extreme(at(0.6), (_x, y) => -back(y));
  else if (site === 'mediastinal') {
    const z = at(0.35);
    const [, cy] = centroid(z);
    const band = 15 / volume.rowSpacingMm;
    centre = extreme(z, (x, y) => (Math.abs(y - cy) <= band ? right(x) : -Infinity));
  } else if (site === 'apical') {
    const z = zs[zs.length - 1]!;
    const [cx, cy] = centroid(z);
    centre = [Math.round(cx), Math.round(cy), z];
  } else {
    const zMid = at(0.5);
    const [cx, cy] = centroid(zMid);
    const column = Math.round(cy) * columns + Math.round(cx);
    let k = zs.indexOf(zMid);
    while (k > 0 && lung.side[zs[k - 1]! * plane + column] === side) k--;
    centre = [Math.round(cx), Math.round(cy), zs[k]!];
  }
  const hu = volume.hu.slice();
  const voxels: number[] = [];
  if (site === 'dependent') {
    const band = radiusMm / volume.rowSpacingMm;
    for (const z of zs.slice(Math.round(0.4 * (zs.length - 1)), Math.round(0.6 * (zs.length - 1)) + 1)) {
      let deepest = -Infinity;
      for (let i = 0; i < plane; i++) if (lung.side[z * plane + i] === side) deepest = Math.max(deepest, back(Math.floor(i / columns)));
      for (let i = 0; i < plane; i++) {
        const v = z * plane + i;
        if (lung.side[v] === side && volume.hu[v]! < -500 && back(Math.floor(i / columns)) > deepest - band) {
          hu[v] = 40;
          voxels.push(v);
        }
      }
    }
    return { hu, voxels, side, centre: [0, 0, at(0.5)] };
  }
  const [cx, cy, cz] = centre;
  const rx = radiusMm / volume.columnSpacingMm, ry = radiusMm / volume.rowSpacingMm, rz = radiusMm / volume.sliceSpacingMm;
  for (let z = Math.max(0, Math.ceil(cz - rz)); z <= Math.min(slices - 1, cz + rz); z++) {
    for (let y = Math.max(0, Math.ceil(cy - ry)); y <= Math.min(rows - 1, cy + ry); y++) {
      for (let x = Math.max(0, Math.ceil(cx - rx)); x <= Math.min(columns - 1, cx + rx); x++) {
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2 > 1) continue;
        const i = z * plane + y * columns + x;
        if (lung.side[i] === side && volume.hu[i]! < -500) {
          hu[i] = 40;
          voxels.push(i);
        }
      }
    }
  }
  return { hu, voxels, side, centre };
}
