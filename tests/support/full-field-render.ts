// Full-field 8-bit renders of a CT slice, as a screenshot or a DICOM export gives them: the whole field
// of view (air, body, table) through a display window. Used by the full-field upload tests.
import { windowToUint8 } from '@covseg/segmentation';

/** Display windows a user may export in (centre, width, HU). */
export const DISPLAY_WINDOWS = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 40, width: 400 },
  bone: { center: 400, width: 1800 },
} as const;

/**
 * One slice of HU rendered to 8-bit grey through a window. Without the table: everything outside the
 * body (the largest region above -500 HU, 4-connected) becomes air first, as on a scanner that crops it.
 * @param hu one plane, row-major; not modified. @returns a new picture owned by the caller.
 */
export function renderFullField(hu: Int16Array, columns: number, rows: number, window: { center: number; width: number }, table: boolean): Uint8Array {
  const slice = table ? hu : withoutTable(hu, columns, rows);
  return windowToUint8(slice, window.center, window.width);
}

function withoutTable(hu: Int16Array, columns: number, rows: number): Int16Array {
  const plane = columns * rows;
  const label = new Int32Array(plane);
  let best = 0;
  let bestSize = 0;
  let next = 1;
  for (let seed = 0; seed < plane; seed++) {
    if (label[seed] !== 0 || hu[seed]! < -500) continue;
    const id = next++;
    let size = 0;
    const todo = [seed];
    label[seed] = id;
    while (todo.length > 0) {
      const i = todo.pop()!;
      size++;
      const x = i % columns;
      for (const j of [x > 0 ? i - 1 : -1, x < columns - 1 ? i + 1 : -1, i - columns, i + columns]) {
        if (j < 0 || j >= plane || label[j] !== 0 || hu[j]! < -500) continue;
        label[j] = id;
        todo.push(j);
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = id;
    }
  }
  // Fill the body's holes (the lungs) by keeping every pixel not reachable from the border through non-body.
  const outside = new Uint8Array(plane);
  const todo: number[] = [];
  for (let i = 0; i < plane; i++) {
    const x = i % columns;
    const y = (i - x) / columns;
    if ((x === 0 || y === 0 || x === columns - 1 || y === rows - 1) && label[i] !== best) {
      outside[i] = 1;
      todo.push(i);
    }
  }
  while (todo.length > 0) {
    const i = todo.pop()!;
    const x = i % columns;
    for (const j of [x > 0 ? i - 1 : -1, x < columns - 1 ? i + 1 : -1, i - columns, i + columns]) {
      if (j < 0 || j >= plane || outside[j] !== 0 || label[j] === best) continue;
      outside[j] = 1;
      todo.push(j);
    }
  }
  const out = hu.slice();
  for (let i = 0; i < plane; i++) if (outside[i]) out[i] = -1000;
  return out;
}
