import { InvalidInputError } from '../errors';
import type { VolumeSpacing } from '../lung/lung-mask';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from '../lung/lung-side';

export interface RegionQuantification {
  /** Lung volume, mL. */
  lungMl: number;
  /** Infection volume inside that lung region, mL. */
  infectionMl: number;
  /** infectionMl / lungMl * 100; 0 when there is no lung. */
  percentInvolved: number;
}

export interface Quantification extends RegionQuantification {
  /** mm³ per voxel / 1000. */
  voxelMl: number;
  /** Infection voxels outside the lung mask, mL (0 when the pipeline clips infection to the lung). */
  infectionOutsideLungMl: number;
  /** Patient right and left lungs; present when a side map was given. */
  right?: RegionQuantification;
  left?: RegionQuantification;
}

function region(lungVoxels: number, infectionVoxels: number, voxelMl: number): RegionQuantification {
  return {
    lungMl: lungVoxels * voxelMl,
    infectionMl: infectionVoxels * voxelMl,
    percentInvolved: lungVoxels === 0 ? 0 : (infectionVoxels / lungVoxels) * 100,
  };
}

/**
 * Infection and lung volumes. Voxel volume = rowSpacingMm * columnSpacingMm * sliceSpacingMm / 1000 mL.
 * @param infection non-zero = infection; @param lung non-zero = lung; @param side optional
 *        0/1 (right)/2 (left) map; all the same length, any layout; not modified.
 */
export function quantify(infection: Uint8Array, lung: Uint8Array, spacing: VolumeSpacing, side?: Uint8Array): Quantification {
  if (infection.length !== lung.length || (side && side.length !== lung.length)) {
    throw new InvalidInputError(`Quantification failed: infection (${infection.length}), lung (${lung.length}) and side (${side?.length ?? '-'}) masks differ in size`);
  }
  const voxelMl = (spacing.rowSpacingMm * spacing.columnSpacingMm * spacing.sliceSpacingMm) / 1000;
  let lungN = 0, infN = 0, outsideN = 0;
  let rightLung = 0, rightInf = 0, leftLung = 0, leftInf = 0;
  // Locals, not the imported bindings: once transpiled to CommonJS those are getter calls per voxel.
  const right = LUNG_SIDE_RIGHT;
  const left = LUNG_SIDE_LEFT;
  // Most of a CT volume is neither lung nor infection: skip it four voxels at a time through 32-bit
  // views where both arrays are 4-byte aligned (they are when they own their buffers).
  const aligned = lung.byteOffset % 4 === 0 && infection.byteOffset % 4 === 0;
  const words = aligned ? lung.length >> 2 : 0;
  const lung32 = aligned ? new Uint32Array(lung.buffer, lung.byteOffset, words) : new Uint32Array(0);
  const infection32 = aligned ? new Uint32Array(infection.buffer, infection.byteOffset, words) : new Uint32Array(0);
  for (let w = 0, i = 0; i < lung.length; i++) {
    if (i === w << 2 && w < words) {
      // At a word boundary: jump over empty words.
      while (w < words && (lung32[w]! | infection32[w]!) === 0) w++;
      i = w << 2;
      w++;
      if (i >= lung.length) break;
    }
    const l = lung[i]!;
    const f = infection[i]!;
    if ((l | f) === 0) continue;
    const inf = f !== 0;
    if (l !== 0) {
      lungN++;
      if (inf) infN++;
      if (side) {
        const s = side[i];
        if (s === right) { rightLung++; if (inf) rightInf++; }
        else if (s === left) { leftLung++; if (inf) leftInf++; }
      }
    } else {
      outsideN++;
    }
  }
  return {
    ...region(lungN, infN, voxelMl),
    voxelMl,
    infectionOutsideLungMl: outsideN * voxelMl,
    ...(side ? { right: region(rightLung, rightInf, voxelMl), left: region(leftLung, leftInf, voxelMl) } : {}),
  };
}
