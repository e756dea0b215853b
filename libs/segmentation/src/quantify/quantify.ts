import { InvalidInputError } from '../errors';
import type { VolumeSpacing } from '../lung/lung-mask';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from '../lung/lung-side';

/** One infection class inside a lung region. */
export interface ClassQuantification {
  /** Volume of the class inside the region's lung, mL. */
  volumeMl: number;
  /** volumeMl / the region's lungMl * 100; 0 when there is no lung. */
  percentInvolved: number;
}

/** Per-class figures of a multi-class infection (labels 1 GGO, 2 consolidation); they add up to the union's. */
export interface InfectionClassesQuantification {
  ggo: ClassQuantification;
  consolidation: ClassQuantification;
}

export interface RegionQuantification {
  /** Lung volume, mL. */
  lungMl: number;
  /** Infection volume inside that lung region (the union of the classes), mL. */
  infectionMl: number;
  /** infectionMl / lungMl * 100; 0 when there is no lung. */
  percentInvolved: number;
  /** Present when quantify was asked for classes (a multi-class model). */
  classes?: InfectionClassesQuantification;
}

export interface QuantifyOptions {
  /**
   * Read the infection labels as classes: 1 ground-glass opacity, 2 consolidation (a multi-class
   * model); adds `classes` to every region. Default false: any non-zero label is just infection.
   */
  classes?: boolean;
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

const percent = (part: number, whole: number) => (whole === 0 ? 0 : (part / whole) * 100);

/** @param consolidationVoxels undefined without classes; GGO is the rest of the infection. */
function region(lungVoxels: number, infectionVoxels: number, voxelMl: number, consolidationVoxels?: number): RegionQuantification {
  return {
    lungMl: lungVoxels * voxelMl,
    infectionMl: infectionVoxels * voxelMl,
    percentInvolved: percent(infectionVoxels, lungVoxels),
    ...(consolidationVoxels === undefined
      ? {}
      : {
          classes: {
            ggo: { volumeMl: (infectionVoxels - consolidationVoxels) * voxelMl, percentInvolved: percent(infectionVoxels - consolidationVoxels, lungVoxels) },
            consolidation: { volumeMl: consolidationVoxels * voxelMl, percentInvolved: percent(consolidationVoxels, lungVoxels) },
          },
        }),
  };
}

/**
 * Infection and lung volumes. Voxel volume = rowSpacingMm * columnSpacingMm * sliceSpacingMm / 1000 mL.
 * @param infection non-zero = infection (with `options.classes`: 1 GGO, 2 consolidation); @param lung
 *        non-zero = lung; @param side optional 0/1 (right)/2 (left) map; all the same length, any
 *        layout; not modified.
 */
export function quantify(infection: Uint8Array, lung: Uint8Array, spacing: VolumeSpacing, side?: Uint8Array, options: QuantifyOptions = {}): Quantification {
  if (infection.length !== lung.length || (side && side.length !== lung.length)) {
    throw new InvalidInputError(`Quantification failed: infection (${infection.length}), lung (${lung.length}) and side (${side?.length ?? '-'}) masks differ in size`);
  }
  const voxelMl = (spacing.rowSpacingMm * spacing.columnSpacingMm * spacing.sliceSpacingMm) / 1000;
  let lungN = 0, infN = 0, outsideN = 0;
  let rightLung = 0, rightInf = 0, leftLung = 0, leftInf = 0;
  // Consolidation voxels inside the lung (label 2), whole and per side; GGO is the rest of the infection.
  let consN = 0, rightCons = 0, leftCons = 0;
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
    const cons = f === 2 ? 1 : 0;
    if (l !== 0) {
      lungN++;
      if (inf) infN++;
      consN += cons;
      if (side) {
        const s = side[i];
        if (s === right) { rightLung++; if (inf) rightInf++; rightCons += cons; }
        else if (s === left) { leftLung++; if (inf) leftInf++; leftCons += cons; }
      }
    } else {
      outsideN++;
    }
  }
  const classes = options.classes === true;
  return {
    ...region(lungN, infN, voxelMl, classes ? consN : undefined),
    voxelMl,
    infectionOutsideLungMl: outsideN * voxelMl,
    ...(side
      ? { right: region(rightLung, rightInf, voxelMl, classes ? rightCons : undefined), left: region(leftLung, leftInf, voxelMl, classes ? leftCons : undefined) }
      : {}),
  };
}
