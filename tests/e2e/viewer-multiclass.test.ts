import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readSeg, type SegReadResult } from '@covseg/dicom';
import { lidcSlices } from '../support/lidc-fixture';
import { repoRoot } from '../support/server';
import { segSourceOf, waitForJob } from '../support/jobs';
import { artifactsDir, startViewerStack, viewerUrl, waitForViewerReady, type ViewerStack } from './support/viewer-stack';
import { poll } from './support/poll';
import { compareOverlayOnSlice } from './support/overlay-check';

/*
 * A multi-class result in the viewer: the tiny two-output test model (docs/CONTRACTS.md §2) segments 16
 * LIDC slices through the real job pipeline and Orthanc; the viewer must paint ground-glass opacity and
 * consolidation in their two colours, with a legend and per-class figures, and keep the toggles working.
 */
const MODEL = join(repoRoot, 'libs/segmentation/test-support/tiny-covseg-multiclass.onnx');

describe('a multi-class result in the viewer', () => {
  let stack: ViewerStack;
  let files: Uint8Array[];
  let study: string;
  let series: string;
  let job: any;
  let seg: SegReadResult;

  beforeAll(async () => {
    files = lidcSlices(16, 58);
    stack = await startViewerStack((orthanc) => orthanc.upload(files), { env: { MODEL_PATH: MODEL } });
    const first = parseDicom(files[0]!).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    study = first.StudyInstanceUID;
    series = first.SeriesInstanceUID;
    const { id } = await stack.server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: stack.server.pacsEndpointId, studyInstanceUID: study }), expectStatus: 202 });
    job = await waitForJob(stack.server, id);
    const source = files.map((f) => segSourceOf(parseDicom(f)));
    seg = readSeg(await stack.orthanc.downloadInstance(job.result.segSopInstanceUID), source);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('paints GGO and consolidation in two colours, the union toggle off, with a legend carrying the per-class figures of both lungs and each lung', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, study, series));
    await waitForViewerReady(page);
    await page.getByTestId('class-legend').waitFor();

    // Segment rows: the union starts unticked (the classes show its voxels), the classes ticked.
    const rows = page.getByTestId('segment-row');
    expect(await rows.count()).toBe(4);
    expect(await rows.nth(0).textContent()).toContain('COVID-19 infection (all classes)');
    expect(await rows.nth(0).locator('input[type=checkbox]').isChecked()).toBe(false);
    const ggoRow = page.locator('[data-testid=segment-row][data-infection-class=ggo]');
    const consolidationRow = page.locator('[data-testid=segment-row][data-infection-class=consolidation]');
    expect(await ggoRow.locator('input[type=checkbox]').isChecked()).toBe(true);
    expect(await consolidationRow.locator('input[type=checkbox]').isChecked()).toBe(true);

    // The legend: the job's figures (from the SR), whole and per lung.
    const q = job.result.quantification;
    const legendGgo = page.locator('[data-testid=class-row][data-infection-class=ggo]');
    const legendConsolidation = page.locator('[data-testid=class-row][data-infection-class=consolidation]');
    expect(await legendGgo.getByTestId('class-figures').textContent()).toBe(`${q.classes.ggo.volumeMl.toFixed(1)} mL, ${q.classes.ggo.involvementPercent.toFixed(2)} %`);
    expect(await legendConsolidation.getByTestId('class-figures').textContent()).toBe(`${q.classes.consolidation.volumeMl.toFixed(1)} mL, ${q.classes.consolidation.involvementPercent.toFixed(2)} %`);
    expect(await legendConsolidation.getByTestId('class-sides').textContent()).toBe(
      `R ${q.right.classes.consolidation.volumeMl.toFixed(1)} mL, ${q.right.classes.consolidation.involvementPercent.toFixed(2)} % · L ${q.left.classes.consolidation.volumeMl.toFixed(1)} mL, ${q.left.classes.consolidation.involvementPercent.toFixed(2)} %`,
    );

    // A slice with both classes: each class's pixels carry its own segment colour.
    const [, , ggo, consolidation] = seg.segments;
    const perSlice = seg.rows * seg.columns;
    const count = (labelmap: Uint8Array, k: number) => labelmap.subarray(k * perSlice, (k + 1) * perSlice).reduce((a, b) => a + b, 0);
    const k = seg.slices.map((_, z) => Math.min(count(ggo!.labelmap, z), count(consolidation!.labelmap, z))).reduce((best, v, z, all) => (v > all[best]! ? z : best), 0);
    const uids = await page.evaluate(() => window.__covseg!.sliceUids());
    const index = uids.indexOf(seg.slices[k]!.sopInstanceUID);
    await page.evaluate((i) => window.__covseg!.show(i), index);
    await page.waitForFunction((i) => window.__covseg!.overlayReadBack()?.index === i, index);
    const ggoColor = ggo!.recommendedDisplayRgb!;
    const consolidationColor = consolidation!.recommendedDisplayRgb!;
    expect(ggoColor).not.toEqual(consolidationColor);
    const nearest = (rgba: number[] | undefined) => {
      if (!rgba || rgba[3] === 0) return 'none';
      const d = (c: readonly number[]) => (rgba[0]! - c[0]!) ** 2 + (rgba[1]! - c[1]!) ** 2 + (rgba[2]! - c[2]!) ** 2;
      return d(ggoColor) < d(consolidationColor) ? 'ggo' : 'consolidation';
    };
    const pixelsOf = (labelmap: Uint8Array) => {
      const found: Array<[number, number]> = [];
      for (let i = 0; i < perSlice && found.length < 40; i += 7) if (labelmap[k * perSlice + i]) found.push([i % seg.columns, Math.floor(i / seg.columns)]);
      return found;
    };
    const colours = async (points: Array<[number, number]>) => page.evaluate((ps) => ps.map(([x, y]) => window.__covseg!.overlayColorAt(x, y)), points);
    const ggoPixels = pixelsOf(ggo!.labelmap);
    const consolidationPixels = pixelsOf(consolidation!.labelmap);
    expect(ggoPixels.length).toBeGreaterThan(0);
    expect(consolidationPixels.length).toBeGreaterThan(0);
    expect((await colours(ggoPixels)).map(nearest)).toEqual(ggoPixels.map(() => 'ggo'));
    expect((await colours(consolidationPixels)).map(nearest)).toEqual(consolidationPixels.map(() => 'consolidation'));
    await page.screenshot({ path: join(artifactsDir, 'viewer-multiclass.png') });

    // Toggles still work: with the lung and consolidation off, only the GGO pixels are painted.
    await page.locator('[data-testid=segment-row]', { hasText: 'Lung' }).locator('input[type=checkbox]').uncheck();
    await consolidationRow.locator('input[type=checkbox]').uncheck();
    const onlyGgo = ggo!.labelmap.subarray(k * perSlice, (k + 1) * perSlice);
    await poll(async () => (await compareOverlayOnSlice(page, index, onlyGgo)).paintedOutside).toBe(0);
    expect(await compareOverlayOnSlice(page, index, onlyGgo)).toMatchObject({ missingInside: 0, mixed: 0 });
    // And the opacity slider: GGO at 0 % paints nothing.
    await ggoRow.locator('input[type=range]').fill('0');
    await poll(async () => (await compareOverlayOnSlice(page, index, onlyGgo)).paintedInside).toBe(0);
    expect(errors).toEqual([]);
  });

  it('shows the GGO and consolidation % of lung under the involvement in the study list and the worklist', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/studies`);
    const q = job.result.quantification;
    const split = page.locator(`tr.study-row[data-study="${study}"] [data-testid=class-involvement]`);
    const text = `GGO ${q.classes.ggo.involvementPercent.toFixed(2)} % · cons. ${q.classes.consolidation.involvementPercent.toFixed(2)} %`;
    await poll(() => split.textContent()).toBe(text);
    // The worklist (jobs page) too.
    await page.goto(`${stack.server.baseUrl}/#/jobs`);
    const row = page.locator('[data-testid=jobs-table] tr[data-status=succeeded]', { hasText: job.id });
    await poll(() => row.getByTestId('class-involvement').textContent()).toBe(text);
    expect(errors).toEqual([]);
  });

  it('edits a class, not the union: a GGO brush stroke over consolidation saves a SEG where those voxels are GGO and the union follows', async () => {
    const { page, errors } = await stack.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(viewerUrl(stack.server, study, series));
    await waitForViewerReady(page);
    await page.getByTestId('class-legend').waitFor();
    const select = page.getByTestId('edit-segment');
    expect(await select.inputValue()).toBe(`${job.result.segSopInstanceUID}#3`);
    expect(await select.locator('option').allTextContents()).not.toContainEqual(expect.stringContaining('COVID-19 infection'));

    // The slice with the most consolidation, and its consolidation pixel nearest the centroid.
    const [, , , consolidation] = seg.segments;
    const perSlice = seg.rows * seg.columns;
    const counts = seg.slices.map((_, z) => consolidation!.labelmap.subarray(z * perSlice, (z + 1) * perSlice).reduce((a, b) => a + b, 0));
    const k = counts.indexOf(Math.max(...counts));
    let sx = 0, sy = 0;
    for (let i = 0; i < perSlice; i++) if (consolidation!.labelmap[k * perSlice + i]) { sx += i % seg.columns; sy += Math.floor(i / seg.columns); }
    const target = { x: Math.round(sx / counts[k]!), y: Math.round(sy / counts[k]!) };
    expect(consolidation!.labelmap[k * perSlice + target.y * seg.columns + target.x]).toBe(1);
    const uids = await page.evaluate(() => window.__covseg!.sliceUids());
    const index = uids.indexOf(seg.slices[k]!.sopInstanceUID);
    await page.evaluate((i) => window.__covseg!.show(i), index);

    await page.getByRole('button', { name: 'Brush' }).click();
    const from = (await page.evaluate(({ x, y }) => window.__covseg!.imageToClient(x, y), target))!;
    const to = (await page.evaluate(({ x, y }) => window.__covseg!.imageToClient(x + 2, y), target))!;
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    expect((await page.evaluate((i) => window.__covseg!.editMask(i), index))![target.y * seg.columns + target.x]).toBe(1);

    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.locator('[data-testid=seg-group][data-kind=correction]').waitFor({ timeout: 60_000 });
    const correctionSop = (await stack.orthanc.findInstances({ Modality: 'SEG' })).find((uid) => uid !== job.result.segSopInstanceUID)!;
    const source = seg.slices;
    const corrected = readSeg(await stack.orthanc.downloadInstance(correctionSop), source);
    const at = k * perSlice + target.y * seg.columns + target.x;
    expect([corrected.segments[0]!.labelmap[at], corrected.segments[2]!.labelmap[at], corrected.segments[3]!.labelmap[at]]).toEqual([1, 1, 0]);
    // Consolidation lost exactly what was painted GGO; the union is GGO + consolidation everywhere.
    const [u, , g, c] = corrected.segments.map((x) => x.labelmap);
    let both = 0, unionMismatch = 0;
    for (let i = 0; i < u!.length; i++) {
      both += g![i]! & c![i]!;
      if (u![i] !== (g![i]! | c![i]!)) unionMismatch++;
    }
    expect([both, unionMismatch]).toEqual([0, 0]);
    expect(errors).toEqual([]);
  });

  it('shows the GGO and consolidation fractions of an uploaded DICOM slice', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/upload`);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment-image'));
    await page.getByTestId('upload-input').setInputFiles({ name: 'slice.dcm', mimeType: 'application/dicom', buffer: Buffer.from(files[8]!) });
    const body = (await (await answer).json()) as { classFractions: { ggo: number; consolidation: number } };
    expect(body.classFractions.ggo + body.classFractions.consolidation).toBeGreaterThan(0);
    await page.getByTestId('class-fractions').waitFor();
    expect(await page.getByTestId('class-fractions').textContent()).toBe(
      `Ground-glass opacity ${(body.classFractions.ggo * 100).toFixed(2)} %, consolidation ${(body.classFractions.consolidation * 100).toFixed(2)} % of the image`,
    );
    expect(errors).toEqual([]);
  });
});
