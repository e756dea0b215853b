import { RunStack } from './runs';

/*
 * The speck filter of the infection volume (binary 0/1, or multi-class labels 0 none, 1 GGO,
 * 2 consolidation): the components are those of the UNION (any non-zero label, 6-connected), and a
 * surviving voxel keeps its label (docs/CONTRACTS.md §2: speck removal on the union first, classes read
 * off the survivors). Flooding one value instead would split a lesion into its GGO and consolidation
 * parts (and drop a small consolidation core of a large lesion); a 0/1 mask is its own union.
 * No label volume: the flood state lives in the high bits of the mask itself (labels use the low
 * nibble), so the memory is the mask plus a stack of row runs, as for the binary filter.
 */

const LABEL_BITS = 0x0f;
const STATE_BITS = 0xf0;
const UNVISITED = 0x00;
const VISITED = 0x10;
const KEPT = 0x20;
const REMOVED = 0x30;

const isState = (v: number, state: number) => v !== 0 && (v & STATE_BITS) === state;

/** Rewrites the maximal run of `from`-state voxels through `i` within its row to `to` (labels kept); pushes it; returns its end. */
function fillRun(mask: Uint8Array, i: number, columns: number, from: number, to: number, stack: RunStack): number {
  const rowStart = i - (i % columns);
  const rowEnd = rowStart + columns;
  let start = i;
  while (start > rowStart && isState(mask[start - 1]!, from)) start--;
  let end = i + 1;
  while (end < rowEnd && isState(mask[end]!, from)) end++;
  for (let j = start; j < end; j++) mask[j] = (mask[j]! & LABEL_BITS) | to;
  stack.push(start, end);
  return end;
}

function fillOverlapping(mask: Uint8Array, start: number, end: number, columns: number, from: number, to: number, stack: RunStack): number {
  let size = 0;
  for (let j = start; j < end; j++) {
    if (!isState(mask[j]!, from)) continue;
    const runEnd = fillRun(mask, j, columns, from, to, stack);
    size += runEnd - stack.data[stack.top - 2]!;
    j = runEnd;
  }
  return size;
}

/** Scanline flood of the union's component through `seed` from state `from` to state `to`; returns its voxel count. */
function spanFillUnion(mask: Uint8Array, columns: number, plane: number, seed: number, from: number, to: number, stack: RunStack): number {
  const n = mask.length;
  stack.top = 0;
  let size = fillRun(mask, seed, columns, from, to, stack) - stack.data[0]!;
  while (stack.top > 0) {
    const end = stack.data[--stack.top]!;
    const start = stack.data[--stack.top]!;
    const inPlane = start % plane;
    if (inPlane >= columns) size += fillOverlapping(mask, start - columns, end - columns, columns, from, to, stack);
    if (inPlane < plane - columns) size += fillOverlapping(mask, start + columns, end + columns, columns, from, to, stack);
    if (start >= plane) size += fillOverlapping(mask, start - plane, end - plane, columns, from, to, stack);
    if (start + plane < n) size += fillOverlapping(mask, start + plane, end + plane, columns, from, to, stack);
  }
  return size;
}

/**
 * Removes the 6-connected components of the union of a labelled volume (labels 1..15, 0 background)
 * that have fewer than `minVoxels` voxels, in place; voxels of the kept components keep their label.
 * @param mask slice-major (`z * rows * columns + y * columns + x`), labels 0..15 on entry and on return.
 * @returns the number of voxels removed.
 */
export function removeUnionComponentsSmallerThan3d(mask: Uint8Array, columns: number, rows: number, minVoxels: number): number {
  if (minVoxels <= 1) return 0;
  const plane = columns * rows;
  const stack = new RunStack();
  let removed = 0;
  forEachNonZero(mask, (seed, v) => {
    if ((v & STATE_BITS) !== UNVISITED) return;
    const size = spanFillUnion(mask, columns, plane, seed, UNVISITED, VISITED, stack);
    const to = size < minVoxels ? REMOVED : KEPT;
    if (to === REMOVED) removed += size;
    spanFillUnion(mask, columns, plane, seed, VISITED, to, stack);
  });
  // Removed voxels become 0, kept ones their label again.
  forEachNonZero(mask, (i, v) => {
    mask[i] = (v & STATE_BITS) === KEPT ? v & LABEL_BITS : 0;
  });
  return removed;
}

/**
 * Calls `visit(i, mask[i])` for every non-zero voxel in index order, skipping zero words four voxels at
 * a time (most of a volume is not infection). The value is read when visited (earlier visits may change it).
 */
function forEachNonZero(mask: Uint8Array, visit: (i: number, v: number) => void): void {
  const aligned = mask.byteOffset % 4 === 0;
  const words = aligned ? mask.length >> 2 : 0;
  const mask32 = new Uint32Array(mask.buffer, mask.byteOffset, words);
  for (let w = 0; w < words; w++) {
    if (mask32[w] === 0) continue;
    for (let i = w << 2, end = i + 4; i < end; i++) {
      const v = mask[i]!;
      if (v !== 0) visit(i, v);
    }
  }
  for (let i = words << 2; i < mask.length; i++) {
    const v = mask[i]!;
    if (v !== 0) visit(i, v);
  }
}
