import { describe, expect, it } from 'vitest';
import { windowToUint8 } from './window';

describe('windowToUint8', () => {
  it('maps the lung window (L -600, W 1500) by the contract formula, clamping both ends', () => {
    const hu = new Int16Array([-2000, -1350, -600, 0, 150, 3000, -32768, 32767]);
    const out = windowToUint8(hu, -600, 1500);
    // (HU + 1350) / 1500 * 255, rounded: -600 -> 127.5 -> 128; 0 -> 229.5 -> 230.
    expect(Array.from(out)).toEqual([0, 0, 128, 230, 255, 255, 0, 255]);
  });

  it('rounds ties to even in float32 like numpy, as the Python reference does', () => {
    // numpy: ((hu.astype(float32) + 1350) / 1500 * 255).round() -> 8.5 -> 8, 25.5 -> 26, 229.5 -> 230, 246.5 -> 246.
    const out = windowToUint8(new Int16Array([-1300, -1200, 0, 100, -1346]), -600, 1500);
    expect(Array.from(out)).toEqual([8, 26, 230, 246, 1]);
  });

  it('writes into a caller-owned buffer', () => {
    const out = new Uint8Array(2);
    expect(windowToUint8(new Int16Array([-1350, 150]), -600, 1500, out)).toBe(out);
    expect(Array.from(out)).toEqual([0, 255]);
  });
});
