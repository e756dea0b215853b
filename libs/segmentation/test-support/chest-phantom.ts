/**
 * A synthetic chest CT (HU, slice-major) with known anatomy for lung-mask and pipeline tests:
 * air around an elliptic body (soft tissue, 40 HU), two elliptic lungs (-850 HU) at known columns,
 * a vessel (40 HU) inside the right lung, a dense pleura-based lesion (0 HU) notched into the
 * left lung's outer wall, a separate trachea tube and a small gas bubble below the lungs.
 */
export interface ChestPhantom {
  hu: Int16Array;
  columns: number;
  rows: number;
  slices: number;
  rowSpacingMm: number;
  columnSpacingMm: number;
  sliceSpacingMm: number;
  /** Lung slices [first, last]. */
  lungSlices: [number, number];
  /** Ellipse centres (column, row) and radii (px) of the patient-right (low column) and left lungs. */
  rightLung: { cx: number; cy: number; rx: number; ry: number };
  leftLung: { cx: number; cy: number; rx: number; ry: number };
  vessel: { cx: number; cy: number; r: number };
  lesion: { cx: number; cy: number; r: number };
  /** With `options.groundGlass`: a -300 HU blob inside the left lung (GGO for the tiny multi-class model). */
  groundGlass?: { cx: number; cy: number; r: number };
}

const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean =>
  ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;

/**
 * @param options.lesionRadius radius (px) of the pleura-based lesion; default 5 (small enough for the closing).
 * @param options.groundGlass add a -300 HU blob (radius 4 px) inside the left lung: brighter than the
 *        tiny models' infection level (-450 HU in their window), darker than the multi-class one's
 *        consolidation level (-150 HU), while the vessel (40 HU) and lesion (0 HU) are above both.
 */
export function buildChestPhantom(options: { lesionRadius?: number; groundGlass?: boolean } = {}): ChestPhantom {
  const columns = 96;
  const rows = 96;
  const slices = 24;
  const hu = new Int16Array(columns * rows * slices).fill(-1000);
  const rightLung = { cx: 30, cy: 48, rx: 14, ry: 22 };
  const leftLung = { cx: 66, cy: 48, rx: 14, ry: 22 };
  const vessel = { cx: 30, cy: 48, r: 3 };
  // Centred on the left lung's lateral wall: half inside the lung, half in the chest wall.
  const lesion = { cx: 79, cy: 48, r: options.lesionRadius ?? 5 };
  const groundGlass = options.groundGlass ? { cx: 64, cy: 36, r: 4 } : undefined;
  const lungSlices: [number, number] = [3, 18];
  for (let z = 0; z < slices; z++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const i = z * rows * columns + y * columns + x;
        if (!inEllipse(x, y, 48, 48, 44, 40)) continue;
        let v = 40;
        const lungSlice = z >= lungSlices[0] && z <= lungSlices[1];
        if (lungSlice && (inEllipse(x, y, rightLung.cx, rightLung.cy, rightLung.rx, rightLung.ry) || inEllipse(x, y, leftLung.cx, leftLung.cy, leftLung.rx, leftLung.ry))) v = -850;
        if (lungSlice && inEllipse(x, y, vessel.cx, vessel.cy, vessel.r, vessel.r)) v = 40;
        if (lungSlice && inEllipse(x, y, lesion.cx, lesion.cy, lesion.r, lesion.r)) v = 0;
        if (lungSlice && groundGlass && inEllipse(x, y, groundGlass.cx, groundGlass.cy, groundGlass.r, groundGlass.r)) v = -300;
        // Trachea above the lungs, not touching them.
        if (z < lungSlices[0] - 1 && inEllipse(x, y, 48, 30, 3, 3)) v = -1000;
        // Bowel gas bubble below the lungs.
        if (z >= lungSlices[1] + 2 && inEllipse(x, y, 55, 60, 3, 3)) v = -950;
        hu[i] = v;
      }
    }
  }
  return { hu, columns, rows, slices, rowSpacingMm: 2, columnSpacingMm: 2, sliceSpacingMm: 5, lungSlices, rightLung, leftLung, vessel, lesion, ...(groundGlass ? { groundGlass } : {}) };
}
