import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../preprocess/resize';
import { placeProbability } from './place-probability';

const random = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24);
};

describe('placeProbability', () => {
  it('decides every allowed pixel exactly as the whole-frame resize and threshold do, and clears the rest', () => {
    const s = 16;
    const columns = 40;
    const rows = 30;
    const prob = random(s * s, 7);
    for (const frame of [{ x: 3, y: 2, width: 33, height: 25 }, { x: 0, y: 0, width: 40, height: 30 }, { x: 10, y: 5, width: 9, height: 7 }]) {
      const allowed = Uint8Array.from(random(columns * rows, frame.width), (v) => (v < 0.4 ? 0 : v < 0.7 ? 1 : 2));
      const mask = new Uint8Array(columns * rows).fill(9);
      placeProbability(prob, s, frame, 0.5, new Float32Array(frame.width * frame.height), mask, columns, allowed);

      const resized = new Float32Array(frame.width * frame.height);
      resizeBilinear(prob, s, { x: 0, y: 0, width: s, height: s }, resized, frame.width, frame.height);
      const expected = new Uint8Array(columns * rows).fill(9);
      for (let y = 0; y < frame.height; y++) {
        for (let x = 0; x < frame.width; x++) {
          const i = (frame.y + y) * columns + frame.x + x;
          expected[i] = resized[y * frame.width + x]! >= 0.5 && allowed[i] !== 0 ? 1 : 0;
        }
      }
      expect(mask).toEqual(expected);
    }
  });

  it('with maskIsZero makes the same decisions on a zero mask, writing infection pixels only and reading no byte of the mask', () => {
    const s = 16;
    const columns = 40;
    const rows = 30;
    const prob = random(s * s, 11);
    const frame = { x: 3, y: 2, width: 33, height: 25 };
    const allowed = Uint8Array.from(random(columns * rows, 5), (v) => (v < 0.4 ? 0 : v < 0.7 ? 1 : 2));
    const expected = new Uint8Array(columns * rows);
    placeProbability(prob, s, frame, 0.5, new Float32Array(frame.width * frame.height), expected, columns, allowed);
    expect(expected.includes(1)).toBe(true);

    const mask = new Uint8Array(columns * rows);
    const reads: number[] = [];
    const writes: number[] = [];
    // Every element access of the mask is seen: a read makes a fresh page resident as much as a write.
    const watched = new Proxy(mask, {
      get: (target, key) => (typeof key === 'string' && /^\d+$/.test(key) && reads.push(Number(key)), Reflect.get(target, key)),
      set: (target, key, value) => (writes.push(Number(key)), Reflect.set(target, key, value)),
    });
    placeProbability(prob, s, frame, 0.5, new Float32Array(frame.width * frame.height), watched, columns, allowed, undefined, true);
    expect(mask).toEqual(expected);
    expect(reads).toEqual([]);
    expect(writes.every((i) => expected[i] === 1)).toBe(true);
    expect(writes.length).toBe(expected.reduce((n, v) => n + v, 0));
  });

  it('thresholds the whole frame when nothing restricts it', () => {
    const prob = new Float32Array(4 * 4).fill(0.6);
    const mask = new Uint8Array(6 * 6);
    placeProbability(prob, 4, { x: 1, y: 1, width: 4, height: 4 }, 0.5, new Float32Array(16), mask, 6);
    expect(mask.reduce((n, v) => n + v, 0)).toBe(16);
    expect(mask[0]).toBe(0);
  });
});
