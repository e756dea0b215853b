import { describe, expect, it } from 'vitest';
import { clearBorderConnected, closeSquare, fillHoles, squareMorphology } from './morphology-2d';

const parse = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
const show = (m: Uint8Array, w: number) => Array.from({ length: m.length / w }, (_, y) => Array.from(m.subarray(y * w, (y + 1) * w), (v) => (v ? '#' : '.')).join(''));

describe('2-D morphology', () => {
  it('clears what touches the border and keeps enclosed pixels', () => {
    const m = parse(['#.....', '#..#..', '...#..', '.....#']);
    clearBorderConnected(m, 6, 4);
    expect(show(m, 6)).toEqual(['......', '...#..', '...#..', '......']);
  });

  it('fills an enclosed hole but not a notch open to the border', () => {
    const m = parse(['######', '#..#.#', '####.#', '......']);
    fillHoles(m, 6, 4, new Uint8Array(24));
    // (1,1)-(2,1) are enclosed and become 1; column 4 opens onto the empty bottom row, so it stays a notch.
    expect(show(m, 6)).toEqual(['######', '####.#', '####.#', '......']);
  });

  it('closes a gap narrower than the square without growing the outline, even at the plane edge', () => {
    const m = parse(['###.###', '###.###', '###.###']);
    const w = 7, r = 1;
    const padded = new Uint8Array((w + 2 * r) * (3 + 2 * r));
    closeSquare(m, w, 3, r, padded, new Uint8Array(padded.length));
    expect(show(m, w)).toEqual(['#######', '#######', '#######']);
  });

  it('dilates and erodes the same four columns at a time as one column at a time', () => {
    // 24 x 20 random plane; the word path needs width % 4 === 0 and 4-byte aligned buffers, so an
    // unaligned copy (byteOffset 1) takes the per-column path.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const w = 24, h = 20;
    for (const erode of [false, true]) {
      for (const radius of [1, 3]) {
        // Erosion: a nearly full block with random holes; dilation: sparse random pixels.
        const plane = Uint8Array.from({ length: w * h }, (_, i) => {
          const inBlock = i % w >= 2 && i % w < w - 2 && i >= 2 * w && i < (h - 2) * w;
          return erode ? (inBlock && random() < 0.97 ? 1 : 0) : random() < 0.1 ? 1 : 0;
        });
        const words = plane.slice();
        squareMorphology(words, w, h, radius, erode, new Uint8Array(w * h));
        const columns = new Uint8Array(new ArrayBuffer(w * h + 1), 1);
        columns.set(plane);
        squareMorphology(columns, w, h, radius, erode, new Uint8Array(new ArrayBuffer(w * h + 1), 1));
        expect(Array.from(words)).toEqual(Array.from(columns));
        expect(words.some((v) => v !== 0)).toBe(true);
      }
    }
  });
});
