import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readSeg, type SegReadResult } from '@covseg/dicom';
import { artifactsDir, startViewerStack, viewerUrl, waitForViewerReady, type ViewerStack } from './support/viewer-stack';
import { poll } from './support/poll';
import { compareOverlayOnSlice, unionOnSlice } from './support/overlay-check';
import { segSourceOf } from '../support/jobs';

// dcmqi's liver SEG (BSD-3, tests/fixtures/seg/dcmqi/LICENSE.txt) and the 3-slice CT it references.
const fixtures = resolve(__dirname, '../fixtures/seg/dcmqi');
const ctPaths = readdirSync(join(fixtures, 'ct-3slice')).sort().map((name) => join(fixtures, 'ct-3slice', name));

/**
 * `liver.dcm`: one segment, frames in slice order. `partial_overlaps.dcm`: five overlapping segments whose
 * seven frames are NOT in source order (z -127.7, -127.7, -128.7, -127.7, -126.7, -128.7, -128.7) and
 * leave slices out.
 */
describe.each([
  ['liver.dcm', 'dcmqi liver, frames in source order'],
  ['partial_overlaps.dcm', 'dcmqi partial overlaps, frames out of source order'],
])('overlays of a SEG written by another tool: %s (%s)', (segFile) => {
  const segPath = join(fixtures, segFile);
  let stack: ViewerStack;
  let study: string;
  let series: string;
  let seg: SegReadResult;

  beforeAll(async () => {
    const ct = ctPaths.map((path) => parseDicom(new Uint8Array(readFileSync(path))));
    study = String(ct[0]!.dataset.StudyInstanceUID);
    series = String(ct[0]!.dataset.SeriesInstanceUID);
    const source = ct.map(segSourceOf);
    seg = readSeg(new Uint8Array(readFileSync(segPath)), source);
    stack = await startViewerStack((orthanc) => orthanc.upload([...ctPaths, segPath]));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('opens the deep link on a slice where the SEG has pixels, with one toggle per segment', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, study, series));
    await waitForViewerReady(page);
    await page.getByTestId('segment-row').first().waitFor();
    expect(await page.getByTestId('segment-row').count()).toBe(seg.segments.length);
    const shown = await page.evaluate(() => window.__covseg!.viewState().index);
    expect(await page.evaluate(() => window.__covseg!.overlaySlices())).toContain(shown);
    await page.screenshot({ path: join(artifactsDir, `overlay-dcmqi-${segFile.replace('.dcm', '')}.png`) });
    expect(errors).toEqual([]);
  });

  it('paints overlay exactly on the CT pixels the SEG labels, slice by slice, and nowhere else', async () => {
    const { page } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, study, series));
    await waitForViewerReady(page);
    await page.getByTestId('segment-row').first().waitFor();
    const uids = await page.evaluate(() => window.__covseg!.sliceUids());
    const perSlice = seg.rows * seg.columns;
    let slicesWithOverlay = 0;
    for (let k = 0; k < seg.slices.length; k++) {
      const index = uids.indexOf(seg.slices[k]!.sopInstanceUID);
      expect(index).toBeGreaterThanOrEqual(0);
      const expected = unionOnSlice(seg.segments.map((s) => s.labelmap), k, perSlice);
      const comparison = await compareOverlayOnSlice(page, index, expected);
      expect(comparison).toMatchObject({ paintedOutside: 0, missingInside: 0, mixed: 0 });
      if (expected.some((v) => v)) {
        expect(comparison.paintedInside).toBeGreaterThan(0);
        slicesWithOverlay++;
      } else {
        expect(comparison.paintedInside).toBe(0);
      }
    }
    expect(slicesWithOverlay).toBeGreaterThan(0);
  });

  it('hides a segment when its toggle is cleared', async () => {
    const { page } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, study, series));
    await waitForViewerReady(page);
    await page.getByTestId('segment-row').first().waitFor();
    const painted = async () => (await page.evaluate(() => window.__covseg!.overlayReadBack()))!.states.filter((s) => s === 2).length;
    expect(await painted()).toBeGreaterThan(0);
    for (const checkbox of await page.getByTestId('segment-row').locator('input[type=checkbox]').all()) await checkbox.uncheck();
    await poll(painted).toBe(0);
  });
});

