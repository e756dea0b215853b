import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeg } from '@covseg/dicom';
import { aiSegOverLidc, issueToken, LIDC_SERIES, LIDC_STUDY, type AiSegFixture } from '../support/review-fixture';
import { artifactsDir, startViewerStack, viewerUrl, waitForViewerReady, type ViewerStack } from './support/viewer-stack';

const SLICES = 12;
/** Pixels where two masks differ (compared in node: a failing toEqual on 262,144 pixels would take minutes to diff). */
const differing = (a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined) => {
  if (!a || !b || a.length !== b.length) return -1;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
};
const count = (values: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += values[i]!;
  return n;
};

describe('a radiologist corrects the AI in the viewer', () => {
  let stack: ViewerStack;
  let ai: AiSegFixture;
  let reviewer: string;
  let user: string;
  /** What the reader painted: slice (in the fixture's order) and the corrected mask of that slice. */
  let painted: { slice: number; mask: number[] };
  let correctionSop: string;

  beforeAll(async () => {
    ai = aiSegOverLidc(SLICES);
    stack = await startViewerStack((orthanc) => orthanc.upload([...ai.paths, ai.bytes]));
    reviewer = await issueToken(stack.server, 'reviewer', 'Dr Reader');
    user = await issueToken(stack.server, 'user', 'ward screen');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const perSlice = () => ai.rows * ai.columns;
  const aiSlice = (z: number) => Array.from(ai.infection.subarray(z * perSlice(), (z + 1) * perSlice()));

  it('paints a brush stroke, undoes and redoes it, saves, and the PACS holds a new SEG that differs exactly where it was painted', async () => {
    const { page, errors } = await stack.newPage({ token: reviewer });
    page.setDefaultTimeout(30_000);
    await page.goto(viewerUrl(stack.server, LIDC_STUDY, LIDC_SERIES));
    await waitForViewerReady(page);
    const index = await page.evaluate(() => window.__covseg!.viewState().index);
    const uids = await page.evaluate(() => window.__covseg!.sliceUids());
    const z = ai.source.findIndex((s) => s.sopInstanceUID === uids[index]);
    expect(differing(await page.evaluate((i) => window.__covseg!.editMask(i), index), aiSlice(z))).toBe(0);

    await page.getByRole('button', { name: 'Brush' }).click();
    await page.getByRole('slider', { name: 'Brush size (mm)' }).evaluate((input: HTMLInputElement) => {
      input.value = '4';
      input.dispatchEvent(new Event('input'));
    });
    const from = (await page.evaluate(() => window.__covseg!.imageToClient(330, 330)))!;
    const to = (await page.evaluate(() => window.__covseg!.imageToClient(400, 360)))!;
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 12 });
    await page.mouse.up();
    const afterStroke = (await page.evaluate((i) => window.__covseg!.editMask(i), index))!;
    const before = aiSlice(z);
    const added = differing(afterStroke, before);
    expect(added).toBeGreaterThan(100);
    // The stroke landed where it was drawn: on the segment from (330, 330) to (400, 360), not elsewhere.
    expect(afterStroke[345 * ai.columns + 365]).toBe(1);
    expect(afterStroke[200 * ai.columns + 450]).toBe(0);
    await page.screenshot({ path: join(artifactsDir, 'correction-painted.png') });

    await page.keyboard.press('Control+z');
    expect(differing(await page.evaluate((i) => window.__covseg!.editMask(i), index), before)).toBe(0);
    await page.getByRole('button', { name: 'Redo' }).click();
    expect(differing(await page.evaluate((i) => window.__covseg!.editMask(i), index), afterStroke)).toBe(0);
    painted = { slice: z, mask: afterStroke };

    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.locator('[data-testid=seg-group][data-kind=correction]').waitFor({ timeout: 60_000 });
    const segs = await stack.orthanc.findInstances({ Modality: 'SEG' });
    expect(segs).toHaveLength(2);
    correctionSop = segs.find((uid) => uid !== ai.sopInstanceUID)!;
    expect(Buffer.from(await stack.orthanc.downloadInstance(ai.sopInstanceUID)).equals(Buffer.from(ai.bytes))).toBe(true);

    const corrected = readSeg(await stack.orthanc.downloadInstance(correctionSop), ai.source);
    const expected = ai.infection.slice();
    expected.set(painted.mask, z * perSlice());
    const infection = corrected.segments[0]!.labelmap;
    let differences = 0;
    for (let i = 0; i < infection.length; i++) if (infection[i] !== ai.infection[i]) differences++;
    expect(differences).toBe(added);
    expect(Buffer.from(infection).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(corrected.segments[1]!.labelmap).equals(Buffer.from(ai.lung))).toBe(true);

    // The panel now shows the corrected figures, recomputed from the corrected masks.
    const overlays = await stack.server.json<{ voxelVolumeMm3: number }>(`/api/overlays?endpointId=${stack.server.pacsEndpointId}&study=${LIDC_STUDY}&series=${LIDC_SERIES}`);
    const quantification = page.getByTestId('quantification');
    await expect.poll(() => quantification.textContent()).toContain('(corrected)');
    expect(await quantification.textContent()).toContain(`${((count(expected) * overlays.voxelVolumeMm3) / 1000).toFixed(1)} mL`);
    // ... read from the correction's own SR, stored beside the corrected SEG.
    expect(await stack.orthanc.findInstances({ Modality: 'SR' })).toHaveLength(1);
    expect(await quantification.textContent()).toContain('measurement report (SR) in the PACS');
    await page.screenshot({ path: join(artifactsDir, 'correction-saved.png') });
    expect(errors).toEqual([]);
  });

  it('does not let a user without the reviewer role save: the button is disabled and the server refuses the request', async () => {
    const { page } = await stack.newPage({ token: user });
    await page.goto(viewerUrl(stack.server, LIDC_STUDY, LIDC_SERIES));
    await waitForViewerReady(page);
    await expect.poll(() => page.getByRole('button', { name: 'Save correction' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    const status = await page.evaluate(
      async ({ token, body }) => (await fetch('/api/corrections', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body })).status,
      {
        token: user,
        body: JSON.stringify({
          endpointId: stack.server.pacsEndpointId,
          study: LIDC_STUDY,
          series: LIDC_SERIES,
          segSeriesInstanceUID: ai.seriesInstanceUID,
          segSopInstanceUID: ai.sopInstanceUID,
          segments: [{ segmentNumber: 1, slices: [] }],
        }),
      },
    );
    expect(status).toBe(403);
    expect(await stack.orthanc.findInstances({ Modality: 'SEG' })).toHaveLength(2);
  });

  it('rejecting the result hides it: it stays on the PACS, and the viewer no longer draws it by default', async () => {
    const { page, errors } = await stack.newPage({ token: reviewer });
    await page.goto(viewerUrl(stack.server, LIDC_STUDY, LIDC_SERIES));
    await waitForViewerReady(page);
    const uids = await page.evaluate(() => window.__covseg!.sliceUids());
    await page.evaluate((i) => window.__covseg!.show(i), uids.indexOf(ai.source[painted.slice]!.sopInstanceUID));
    // Before: the correction is drawn (the corrected AI result is hidden by default).
    await expect.poll(async () => count((await page.evaluate(() => window.__covseg!.overlayReadBack()))!.states.map((s) => (s & 2 ? 1 : 0)))).toBeGreaterThan(0);
    expect(await page.getByTestId('edit-segment').inputValue()).toContain(correctionSop);

    await page.getByRole('button', { name: 'Reject' }).click();
    await page.locator(`[data-testid=seg-group][data-seg="${correctionSop}"][data-review=rejected]`).waitFor();
    await expect.poll(async () => count((await page.evaluate(() => window.__covseg!.overlayReadBack()))!.states.map((s) => (s & 2 ? 1 : 0)))).toBe(0);
    expect(await stack.orthanc.findInstances({ Modality: 'SEG' })).toHaveLength(2);
    await page.screenshot({ path: join(artifactsDir, 'correction-rejected.png') });

    // A fresh viewer hides it too.
    const second = await stack.newPage({ token: reviewer });
    await second.page.goto(viewerUrl(stack.server, LIDC_STUDY, LIDC_SERIES));
    await waitForViewerReady(second.page);
    expect(await second.page.locator(`[data-testid=seg-group][data-seg="${correctionSop}"] input[type=checkbox]`).first().isChecked()).toBe(false);
    expect(errors).toEqual([]);
  });
});
