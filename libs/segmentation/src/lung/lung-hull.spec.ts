import { describe, expect, it } from 'vitest';
import { computeLungHulls } from './lung-hull';

const parse = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === 'R' ? 1 : c === 'L' ? 2 : 0));
const show = (m: Uint8Array, w: number) => Array.from({ length: m.length / w }, (_, y) => Array.from(m.subarray(y * w, (y + 1) * w), (v) => '.RL'[v]).join(''));

describe('computeLungHulls', () => {
  it('fills the notch of a C-shaped lung on each side and keeps the sides apart', () => {
    const side = parse([
      'RRRR....LLLL',
      'R.......LLLL',
      'R.......L..L',
      'RRRR....LLLL',
    ]);
    expect(show(computeLungHulls(side, { columns: 12, rows: 4, slices: 1 }), 12)).toEqual([
      'RRRR....LLLL',
      'RRRR....LLLL',
      'RRRR....LLLL',
      'RRRR....LLLL',
    ]);
  });

  it('leaves a convex lung as it is and handles single-pixel and single-row lungs', () => {
    const side = parse(['......', '.RRR..', '.RRR..', '....L.', 'LLL...']);
    expect(show(computeLungHulls(side, { columns: 6, rows: 5, slices: 1 }), 6)).toEqual(['......', '.RRR..', '.RRR..', '....L.', 'LLL...']);
  });

  it('works slice by slice', () => {
    const side = parse(['R.R', '...', '...', '.L.']);
    const hull = computeLungHulls(side, { columns: 3, rows: 2, slices: 2 });
    expect(show(hull, 3)).toEqual(['RRR', '...', '...', '.L.']);
  });
});
