/**
 * The editing model of one segment: brush, eraser and HU-range fill on per-slice 0/1 masks, with undo
 * and redo. No DOM: the paint tool feeds it image coordinates, the viewer redraws.
 *
 * Coordinates are image pixels of the displayed slice (x = column, y = row, continuous: pixel (c, r)
 * covers [c, c+1) x [r, r+1)); sizes in mm use the slice's PixelSpacing. Masks are rows x columns,
 * row-major. The editor owns the masks it hands to `setSliceMask`: it edits them in place.
 */
export interface MaskStore {
  /** The mask of slice `index`, or undefined when the segment is empty there. */
  getSliceMask(index: number): Uint8Array | undefined;
  /** Replaces slice `index`'s mask (the editor keeps a reference and edits it in place). */
  setSliceMask(index: number, mask: Uint8Array): void;
}

interface HistoryEntry {
  index: number;
  /** The slice's mask before the stroke, and after it (for redo); copies owned by the history. */
  before: Uint8Array;
  after: Uint8Array | undefined;
}

/** Undo steps kept; each holds two slice masks (2 x 256 kB on a 512² slice). */
const HISTORY_LIMIT = 100;

export class MaskEditor {
  private readonly undoStack: HistoryEntry[] = [];
  private readonly redoStack: HistoryEntry[] = [];
  private stroke: HistoryEntry | undefined;
  private last: { x: number; y: number } | undefined;
  /** Slices whose mask differs from what the SEG holds (or did at some point; saving re-encodes them). */
  readonly editedSlices = new Set<number>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: MaskStore,
    readonly rows: number,
    readonly columns: number,
    /** [row spacing, column spacing], mm. */
    private readonly pixelSpacing: readonly [number, number],
  ) {}

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  get dirty(): boolean {
    return this.editedSlices.size > 0;
  }

  /** Starts a brush (value 1) or eraser (value 0) stroke on slice `index` and stamps the first disc. */
  beginStroke(index: number, x: number, y: number, radiusMm: number, value: 0 | 1): void {
    this.endStroke();
    this.stroke = { index, before: this.maskFor(index).slice(), after: undefined };
    this.last = { x, y };
    this.stamp(index, x, y, radiusMm, value);
    this.emit();
  }

  /** Continues the stroke to (x, y), stamping discs along the segment so fast moves leave no gaps. */
  continueStroke(x: number, y: number, radiusMm: number, value: 0 | 1): void {
    if (!this.stroke || !this.last) return;
    const radiusPx = Math.max(0.5, Math.min(radiusMm / this.pixelSpacing[1], radiusMm / this.pixelSpacing[0]));
    const distance = Math.hypot(x - this.last.x, y - this.last.y);
    const steps = Math.max(1, Math.ceil(distance / Math.max(0.5, radiusPx / 2)));
    for (let s = 1; s <= steps; s++) {
      this.stamp(this.stroke.index, this.last.x + ((x - this.last.x) * s) / steps, this.last.y + ((y - this.last.y) * s) / steps, radiusMm, value);
    }
    this.last = { x, y };
    this.emit();
  }

  /** Ends the stroke: one undo step. A stroke that changed nothing leaves no step. */
  endStroke(): void {
    const stroke = this.stroke;
    this.stroke = undefined;
    this.last = undefined;
    if (!stroke) return;
    const now = this.maskFor(stroke.index);
    if (equal(now, stroke.before)) return;
    this.push({ ...stroke, after: now.slice() });
    this.editedSlices.add(stroke.index);
    this.emit();
  }

  /**
   * Adds to the mask of slice `index` the 4-connected region around (x, y) whose HU lie in
   * [minHu, maxHu]. `hu` is the slice in HU (rows x columns; only read). One undo step.
   * Returns the number of pixels added (0 when the clicked pixel is outside the range).
   */
  fill(index: number, x: number, y: number, hu: ArrayLike<number>, minHu: number, maxHu: number): number {
    this.endStroke();
    const cx = Math.floor(x);
    const cy = Math.floor(y);
    const { rows, columns } = this;
    if (cx < 0 || cy < 0 || cx >= columns || cy >= rows) return 0;
    const inRange = (i: number) => hu[i]! >= minHu && hu[i]! <= maxHu;
    const start = cy * columns + cx;
    if (!inRange(start)) return 0;
    const mask = this.maskFor(index);
    const before = mask.slice();
    const seen = new Uint8Array(rows * columns);
    const queue = new Int32Array(rows * columns);
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    let added = 0;
    while (head < tail) {
      const i = queue[head++]!;
      if (!mask[i]) {
        mask[i] = 1;
        added++;
      }
      const r = (i / columns) | 0;
      const c = i - r * columns;
      for (const n of [c > 0 ? i - 1 : -1, c < columns - 1 ? i + 1 : -1, r > 0 ? i - columns : -1, r < rows - 1 ? i + columns : -1]) {
        if (n < 0 || seen[n] || !inRange(n)) continue;
        seen[n] = 1;
        queue[tail++] = n;
      }
    }
    if (added > 0) {
      this.push({ index, before, after: mask.slice() });
      this.editedSlices.add(index);
    }
    this.emit();
    return added;
  }

  /** Undoes the last step; returns the slice it changed, or undefined when there is nothing to undo. */
  undo(): number | undefined {
    this.endStroke();
    const entry = this.undoStack.pop();
    if (!entry) return undefined;
    this.maskFor(entry.index).set(entry.before);
    this.redoStack.push(entry);
    this.editedSlices.add(entry.index);
    this.emit();
    return entry.index;
  }

  redo(): number | undefined {
    this.endStroke();
    const entry = this.redoStack.pop();
    if (!entry?.after) return undefined;
    this.maskFor(entry.index).set(entry.after);
    this.undoStack.push(entry);
    this.emit();
    return entry.index;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private push(entry: HistoryEntry): void {
    this.undoStack.push(entry);
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack.length = 0;
  }

  /** The editable mask of a slice, created empty where the segment had none. */
  private maskFor(index: number): Uint8Array {
    let mask = this.store.getSliceMask(index);
    if (!mask) {
      mask = new Uint8Array(this.rows * this.columns);
      this.store.setSliceMask(index, mask);
    }
    return mask;
  }

  /** A filled ellipse of `radiusMm` (round in mm, so elliptic in pixels when the spacing is anisotropic). */
  private stamp(index: number, x: number, y: number, radiusMm: number, value: 0 | 1): void {
    const mask = this.maskFor(index);
    const rx = Math.max(0.5, radiusMm / this.pixelSpacing[1]);
    const ry = Math.max(0.5, radiusMm / this.pixelSpacing[0]);
    const r0 = Math.max(0, Math.floor(y - ry));
    const r1 = Math.min(this.rows - 1, Math.ceil(y + ry));
    const c0 = Math.max(0, Math.floor(x - rx));
    const c1 = Math.min(this.columns - 1, Math.ceil(x + rx));
    for (let r = r0; r <= r1; r++) {
      const dy = (r + 0.5 - y) / ry;
      for (let c = c0; c <= c1; c++) {
        const dx = (c + 0.5 - x) / rx;
        // A pixel belongs to the disc when its centre does; a tiny brush still paints the pixel under the pointer.
        if (dx * dx + dy * dy <= 1 || (c === Math.floor(x) && r === Math.floor(y))) mask[r * this.columns + c] = value;
      }
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
