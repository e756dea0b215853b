import { describe, expect, it } from 'vitest';
import { decodeRunLengths, encodeRunLengths } from '../loaders/mask-codec';
import { MaskEditor, type MaskStore } from './mask-editor';

const ROWS = 40;
const COLUMNS = 50;

function store(initial: Record<number, Uint8Array> = {}): MaskStore & { masks: Map<number, Uint8Array> } {
  const masks = new Map(Object.entries(initial).map(([k, v]) => [Number(k), v]));
  return { masks, getSliceMask: (i) => masks.get(i), setSliceMask: (i, m) => void masks.set(i, m) };
}
const count = (mask: Uint8Array | undefined) => (mask ? mask.reduce((a, b) => a + b, 0) : 0);

describe('MaskEditor', () => {
  it('paints a disc of the brush radius in mm, elliptic in pixels when the spacing is anisotropic', () => {
    const s = store();
    const editor = new MaskEditor(s, ROWS, COLUMNS, [1, 0.5]);
    editor.beginStroke(3, 25, 20, 4, 1);
    editor.endStroke();
    const mask = s.masks.get(3)!;
    // 4 mm = 4 rows and 8 columns: area about pi * 4 * 8.
    expect(count(mask)).toBeGreaterThan(Math.PI * 4 * 8 * 0.8);
    expect(count(mask)).toBeLessThan(Math.PI * 4 * 8 * 1.2);
    expect(mask[20 * COLUMNS + 32]).toBe(1);
    expect(mask[20 * COLUMNS + 34]).toBe(0);
    expect(mask[25 * COLUMNS + 25]).toBe(0);
    expect(editor.editedSlices).toEqual(new Set([3]));
  });

  it('leaves no gaps along a fast stroke, and the eraser removes what the brush drew', () => {
    const s = store();
    const editor = new MaskEditor(s, ROWS, COLUMNS, [1, 1]);
    editor.beginStroke(0, 5, 10, 1, 1);
    editor.continueStroke(45, 10, 1, 1);
    editor.endStroke();
    for (let x = 5; x <= 45; x++) expect(s.masks.get(0)![10 * COLUMNS + x]).toBe(1);
    editor.beginStroke(0, 5, 10, 3, 0);
    editor.continueStroke(45, 10, 3, 0);
    editor.endStroke();
    expect(count(s.masks.get(0))).toBe(0);
  });

  it('undoes and redoes whole strokes, exactly', () => {
    const original = new Uint8Array(ROWS * COLUMNS).fill(1, 100, 300);
    const s = store({ 2: original.slice() });
    const editor = new MaskEditor(s, ROWS, COLUMNS, [1, 1]);
    editor.beginStroke(2, 20, 20, 3, 1);
    editor.continueStroke(30, 25, 3, 1);
    editor.endStroke();
    const painted = s.masks.get(2)!.slice();
    expect(painted).not.toEqual(original);
    expect(editor.undo()).toBe(2);
    expect(s.masks.get(2)).toEqual(original);
    expect(editor.canUndo).toBe(false);
    expect(editor.redo()).toBe(2);
    expect(s.masks.get(2)).toEqual(painted);
    // A new stroke after an undo drops the redo branch.
    editor.undo();
    editor.beginStroke(2, 40, 30, 1, 1);
    editor.endStroke();
    expect(editor.canRedo).toBe(false);
  });

  it('fills the 4-connected region inside the HU range from the click, and nothing from a click outside it', () => {
    const hu = new Float32Array(ROWS * COLUMNS).fill(-900);
    for (let y = 10; y < 20; y++) for (let x = 10; x < 30; x++) hu[y * COLUMNS + x] = -500; // a 10 x 20 ground-glass patch
    hu[25 * COLUMNS + 40] = -500; // not connected
    const s = store();
    const editor = new MaskEditor(s, ROWS, COLUMNS, [1, 1]);
    expect(editor.fill(1, 15.5, 12.5, hu, -700, 0)).toBe(200);
    expect(s.masks.get(1)![25 * COLUMNS + 40]).toBe(0);
    expect(editor.fill(1, 2, 2, hu, -700, 0)).toBe(0);
    editor.undo();
    expect(count(s.masks.get(1))).toBe(0);
  });

  it('encodes edited masks so the overlays codec reads back the same pixels', () => {
    const mask = new Uint8Array(ROWS * COLUMNS);
    mask.fill(1, 0, 7);
    mask.fill(1, 500, 640);
    mask[ROWS * COLUMNS - 1] = 1;
    expect(decodeRunLengths(encodeRunLengths(mask)!, mask.length)).toEqual(mask);
    expect(encodeRunLengths(new Uint8Array(10))).toBeUndefined();
  });
});
