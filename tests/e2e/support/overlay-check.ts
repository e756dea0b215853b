import type { Page } from 'playwright-core';

export interface OverlayComparison {
  /** Visible CT pixels where the SEG says 1 and the canvas shows overlay. */
  paintedInside: number;
  /** Visible CT pixels where the SEG says 0 but the canvas shows overlay. Must be 0. */
  paintedOutside: number;
  /** Visible CT pixels where the SEG says 1 but the canvas shows none. Must be 0. */
  missingInside: number;
  /** CT pixels whose canvas pixels disagree among themselves (should never happen). */
  mixed: number;
}

/**
 * Shows slice `index` and compares the overlay canvas, read back into CT pixel space by the page,
 * with `expected` (rows x columns, 0/1, e.g. the union of the SEG's segments on that slice).
 */
export async function compareOverlayOnSlice(page: Page, index: number, expected: Uint8Array): Promise<OverlayComparison> {
  // Read back only once the canvas shows the slice (cornerstone draws on the next animation frame).
  await page.evaluate((i) => window.__covseg!.show(i), index);
  await page.waitForFunction((i) => window.__covseg!.overlayReadBack()?.index === i, index);
  const read = await page.evaluate(() => window.__covseg!.overlayReadBack());
  if (!read || read.index !== index) throw new Error(`The overlay of slice ${index} could not be read back`);
  if (read.states.length !== expected.length) throw new Error(`Overlay read back ${read.states.length} pixels, the SEG has ${expected.length}`);
  const result: OverlayComparison = { paintedInside: 0, paintedOutside: 0, missingInside: 0, mixed: 0 };
  for (let i = 0; i < expected.length; i++) {
    const state = read.states[i]!;
    if (state === 0) continue;
    if (state === 3) result.mixed++;
    else if (state === 2 && expected[i]) result.paintedInside++;
    else if (state === 2) result.paintedOutside++;
    else if (expected[i]) result.missingInside++;
  }
  return result;
}

/** The union of every segment's labelmap on source slice `k` (readSeg layout: slice-major). */
export function unionOnSlice(labelmaps: Uint8Array[], k: number, pixelsPerSlice: number): Uint8Array {
  const union = new Uint8Array(pixelsPerSlice);
  for (const labelmap of labelmaps) {
    for (let i = 0; i < pixelsPerSlice; i++) if (labelmap[k * pixelsPerSlice + i]) union[i] = 1;
  }
  return union;
}
