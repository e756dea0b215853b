import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readSeg, type SegReadResult, type SegSourceSlice } from '@covseg/dicom';
import { type BuiltEnhancedCt, enhancedCtFromClassic } from '../factories/enhanced-ct.factory';
import { lidcSlices } from '../support/lidc-fixture';
import { repoRoot } from '../support/server';
import { runSeriesJob, segSourceOf } from '../support/jobs';
import { artifactsDir, startViewerStack, viewerUrl, waitForViewerReady, type ViewerStack } from './support/viewer-stack';
import { poll } from './support/poll';
import { compareOverlayOnSlice, unionOnSlice } from './support/overlay-check';

/*
 * An Enhanced CT series in the viewer: 16 LIDC-IDRI-0001 slices stored twice in one real Orthanc, as
 * classic CT and as ONE Enhanced CT instance of 16 frames written head to foot (the factory's reversed
 * order, so frame number and position disagree), each segmented through the real job pipeline (the tiny
 * multi-class test model, as viewer-multiclass: fast and with infection on these slices). The viewer must
 * stack the frames foot to head, show each frame's own pixels, and paint the Enhanced CT's SEG, whose
 * frames name their source by ReferencedFrameNumber, exactly where the classic series' SEG lies.
 */
const MODEL = join(repoRoot, 'libs/segmentation/test-support/tiny-covseg-multiclass.onnx');
const SLICES = 16;

describe('an Enhanced CT series in the viewer', () => {
  let stack: ViewerStack;
  let classic: Uint8Array[];
  let enhanced: BuiltEnhancedCt;
  let study: string;
  let classicSeries: string;
  let classicJob: any;
  let enhancedJob: any;
  let classicSeg: SegReadResult;
  let enhancedSeg: SegReadResult;

  beforeAll(async () => {
    classic = lidcSlices(SLICES, 58);
    enhanced = await enhancedCtFromClassic(classic, { sopClass: 'enhanced', frameOrder: 'reversed' });
    stack = await startViewerStack((orthanc) => orthanc.upload([...classic, enhanced.bytes]), { env: { MODEL_PATH: MODEL } });
    const first = parseDicom(classic[0]!).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    study = first.StudyInstanceUID;
    classicSeries = first.SeriesInstanceUID;
    classicJob = await runSeriesJob(stack.server, { study, series: classicSeries });
    enhancedJob = await runSeriesJob(stack.server, { study, series: enhanced.seriesInstanceUID });
    // Both SEGs read back from the PACS against their own source, in position order (foot to head).
    const classicSource: SegSourceSlice[] = classic.map((bytes) => segSourceOf(parseDicom(bytes)));
    // Frame n of the reversed instance is classic slice SLICES - n.
    const enhancedSource: SegSourceSlice[] = classicSource.map((slice, k) => ({ ...slice, sopInstanceUID: enhanced.sopInstanceUID, sopClassUID: enhanced.sopClassUID, referencedFrameNumber: SLICES - k }));
    classicSeg = readSeg(await stack.orthanc.downloadInstance(classicJob.result.segSopInstanceUID), classicSource);
    enhancedSeg = readSeg(await stack.orthanc.downloadInstance(enhancedJob.result.segSopInstanceUID), enhancedSource);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('stacks one slice per frame, foot to head, each showing the pixels of its classic twin, and scrolls', async () => {
    const { page, errors } = await stack.newPage();
    const frameRequests: string[] = [];
    page.on('request', (r) => {
      if (/\/frames\/\d+$/.test(r.url())) frameRequests.push(r.url());
    });
    await page.goto(viewerUrl(stack.server, study, enhanced.seriesInstanceUID));
    await waitForViewerReady(page);
    expect(await page.evaluate(() => window.__covseg!.viewState().count)).toBe(SLICES);
    expect(await page.evaluate(() => window.__covseg!.sliceUids())).toEqual(Array(SLICES).fill(enhanced.sopInstanceUID));
    // Stored head to foot, shown foot to head: frame 16 first.
    expect(await page.evaluate(() => window.__covseg!.sliceFrames())).toEqual(Array.from({ length: SLICES }, (_, k) => SLICES - k));
    await page.getByTestId('slice-slider').fill('0');
    await poll(() => page.getByTestId('corner-slice').textContent()).toMatch(new RegExp(`^Slice 1/${SLICES}`));

    const classicPage = (await stack.newPage()).page;
    await classicPage.goto(viewerUrl(stack.server, study, classicSeries));
    await waitForViewerReady(classicPage);
    const classicUids = await classicPage.evaluate(() => window.__covseg!.sliceUids());
    expect(classicUids).toEqual(classic.map((bytes) => parseDicom(bytes).sopInstanceUID));
    for (const k of [0, 5, SLICES - 1]) {
      for (const p of [page, classicPage]) {
        await p.evaluate((i) => window.__covseg!.show(i), k);
        await p.waitForFunction((i) => window.__covseg!.viewState().rendered === i, k);
      }
      const sum = await page.evaluate(() => window.__covseg!.storedPixelSum());
      expect(sum).toEqual(await classicPage.evaluate(() => window.__covseg!.storedPixelSum()));
      expect(sum!.count).toBe(512 * 512);
    }

    // Scrolling: the wheel and the arrow keys move through the frames.
    const rendered = () => page.evaluate(() => window.__covseg!.viewState().rendered);
    await page.evaluate(() => window.__covseg!.show(4));
    await page.getByTestId('viewport').hover();
    await page.mouse.wheel(0, 100);
    await poll(rendered).toBe(6);
    await page.keyboard.press('ArrowUp');
    await poll(rendered).toBe(5);
    await poll(() => page.getByTestId('corner-slice').textContent()).toMatch(new RegExp(`^Slice 6/${SLICES}`));
    // Every frame came per frame from the DICOMweb proxy, each one once or more, and nothing failed.
    expect(new Set(frameRequests.map((url) => Number(/\/frames\/(\d+)$/.exec(url)![1])))).toEqual(new Set(Array.from({ length: SLICES }, (_, i) => i + 1)));
    expect(await page.evaluate(() => window.__covseg!.loadedCount())).toBe(SLICES);
    expect(await page.locator('.toast-error').count()).toBe(0);
    await page.screenshot({ path: join(artifactsDir, 'viewer-enhanced-ct.png') });
    expect(errors).toEqual([]);
  });

  it("paints the Enhanced CT's SEG on each frame exactly where the classic series' SEG lies on its twin slice, with the same figures", async () => {
    const perSlice = classicSeg.rows * classicSeg.columns;
    const classicLabelmaps = classicSeg.segments.map((s) => s.labelmap);
    // The pipeline gives the same voxels for both copies (tests/medium/enhanced-ct-pipeline.test.ts): the
    // frame references of the Enhanced CT's SEG put them on the same positions.
    for (let k = 0; k < SLICES; k++) expect(unionOnSlice(enhancedSeg.segments.map((s) => s.labelmap), k, perSlice)).toEqual(unionOnSlice(classicLabelmaps, k, perSlice));
    const withOverlay = classicSeg.slices.map((_, k) => unionOnSlice(classicLabelmaps, k, perSlice).some((v) => v === 1));
    expect(withOverlay.filter(Boolean).length).toBeGreaterThan(0);
    // Infection (GGO or consolidation) on some frames, not the lung alone.
    const infection = classicSeg.segments.filter((s) => s.label !== 'Lung').map((s) => s.labelmap);
    expect(classicSeg.slices.some((_, k) => unionOnSlice(infection, k, perSlice).some((v) => v === 1))).toBe(true);

    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, study, enhanced.seriesInstanceUID));
    await waitForViewerReady(page);
    await page.getByTestId('segment-row').first().waitFor();
    // The deep link opens on a frame with overlay, and the overlay slices are those of the classic SEG.
    const shown = await page.evaluate(() => window.__covseg!.viewState().index);
    expect(withOverlay[shown]).toBe(true);
    expect(await page.evaluate(() => window.__covseg!.overlaySlices())).toEqual(withOverlay.flatMap((has, k) => (has ? [k] : [])));
    for (let k = 0; k < SLICES; k++) {
      const comparison = await compareOverlayOnSlice(page, k, unionOnSlice(classicLabelmaps, k, perSlice));
      expect(comparison).toMatchObject({ paintedOutside: 0, missingInside: 0, mixed: 0 });
      expect(comparison.paintedInside > 0).toBe(withOverlay[k]);
    }

    const classicPage = (await stack.newPage()).page;
    await classicPage.goto(viewerUrl(stack.server, study, classicSeries));
    await waitForViewerReady(classicPage);
    await classicPage.getByTestId('quantification').waitFor();
    await page.getByTestId('quantification').waitFor();
    const figures = async (p: typeof page) => (await p.getByTestId('quantification').textContent())!.match(/\d+\.\d+ (?:mL|%)/g);
    expect(await figures(page)).toEqual(await figures(classicPage));
    expect((await figures(page))!.length).toBeGreaterThan(2);
    expect(enhancedJob.result.quantification).toEqual(classicJob.result.quantification);
    await page.screenshot({ path: join(artifactsDir, 'viewer-enhanced-ct-overlay.png') });
    expect(errors).toEqual([]);
  });

  it('saves a brush stroke painted on a frame as a correction whose SEG puts it on that frame, and nowhere else', async () => {
    const { page, errors } = await stack.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(viewerUrl(stack.server, study, enhanced.seriesInstanceUID));
    await waitForViewerReady(page);
    await page.getByTestId('segment-row').first().waitFor();
    // A frame away from the one the deep link opened, so frame number and display index both matter.
    const k = 3;
    await page.evaluate((i) => window.__covseg!.show(i), k);
    await page.waitForFunction((i) => window.__covseg!.viewState().rendered === i, k);
    const before = (await page.evaluate((i) => window.__covseg!.editMask(i), k)) ?? Array(512 * 512).fill(0);
    await page.getByRole('button', { name: 'Brush' }).click();
    await page.getByRole('slider', { name: 'Brush size (mm)' }).evaluate((input: HTMLInputElement) => {
      input.value = '4';
      input.dispatchEvent(new Event('input'));
    });
    const from = (await page.evaluate(() => window.__covseg!.imageToClient(150, 250)))!;
    const to = (await page.evaluate(() => window.__covseg!.imageToClient(200, 280)))!;
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 12 });
    await page.mouse.up();
    const painted = (await page.evaluate((i) => window.__covseg!.editMask(i), k))!;
    let added = 0;
    for (let i = 0; i < painted.length; i++) if (painted[i] !== before[i]) added++;
    expect(added).toBeGreaterThan(100);
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.locator('[data-testid=seg-group][data-kind=correction], .toast-error').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('.toast-error').allTextContents()).toEqual([]);
    await page.locator('[data-testid=seg-group][data-kind=correction]').waitFor({ timeout: 60_000 });

    const segs = await stack.orthanc.findInstances({ Modality: 'SEG' });
    const correctionSop = segs.find((uid) => uid !== classicJob.result.segSopInstanceUID && uid !== enhancedJob.result.segSopInstanceUID)!;
    const correctionBytes = await stack.orthanc.downloadInstance(correctionSop);
    // Each frame of the correction names its source by instance and frame number (PS3.3 Table 10-3).
    const dataset = parseDicom(correctionBytes).dataset as { PerFrameFunctionalGroupsSequence: Array<{ DerivationImageSequence: Array<{ SourceImageSequence: Array<{ ReferencedSOPInstanceUID: string; ReferencedFrameNumber: number }> }> }> };
    const references = dataset.PerFrameFunctionalGroupsSequence.map((g) => g.DerivationImageSequence[0]!.SourceImageSequence[0]!);
    expect(new Set(references.map((r) => r.ReferencedSOPInstanceUID))).toEqual(new Set([enhanced.sopInstanceUID]));
    expect(references.every((r) => Number(r.ReferencedFrameNumber) >= 1 && Number(r.ReferencedFrameNumber) <= SLICES)).toBe(true);
    const enhancedSource: SegSourceSlice[] = enhancedSeg.slices.map((slice) => ({ ...slice }));
    const corrected = readSeg(correctionBytes, enhancedSource);
    const perSlice = corrected.rows * corrected.columns;
    // The edited segment holds the painted mask on slice k (frame SLICES - k); every change lies on that slice.
    const edited = corrected.segments.find((segment) => {
      const slice = segment.labelmap.subarray(k * perSlice, (k + 1) * perSlice);
      return slice.every((v, i) => v === painted[i]);
    });
    expect(edited).toBeDefined();
    const changedSlices = new Set<number>();
    corrected.segments.forEach((segment, s) => {
      const original = enhancedSeg.segments[s]!.labelmap;
      for (let i = 0; i < original.length; i++) if (segment.labelmap[i] !== original[i]) changedSlices.add(Math.floor(i / perSlice));
    });
    expect([...changedSlices]).toEqual([k]);
    expect(errors).toEqual([]);
  });
});

