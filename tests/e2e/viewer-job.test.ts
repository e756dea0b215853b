import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readSeg, type SegReadResult } from '@covseg/dicom';
import { lidcSlicePaths } from '../support/lidc-fixture';
import { artifactsDir, startViewerStack, viewerUrl, waitForViewerReady, type ViewerStack } from './support/viewer-stack';
import { poll } from './support/poll';
import { compareOverlayOnSlice, unionOnSlice } from './support/overlay-check';
import { segSourceOf } from '../support/jobs';

const STUDY = '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178';
const SERIES = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';

describe('segmenting the demo-like LIDC series from the viewer', () => {
  let stack: ViewerStack;

  beforeAll(async () => {
    stack = await startViewerStack((orthanc) => orthanc.upload(lidcSlicePaths()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a job with live progress, then shows our SEG exactly where its frames are non-zero, with its quantification', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForViewerReady(page);
    await page.getByTestId('no-overlays').waitFor();

    await page.getByTestId('segment-button').click();
    await page.locator('[data-testid=job-status][data-status=running], [data-testid=job-status][data-status=queued]').first().waitFor();
    await page.screenshot({ path: join(artifactsDir, 'job-running.png') });
    await page.locator('[data-testid=job-status][data-status=succeeded]').waitFor({ timeout: 280_000 });
    // The overlay appears without a reload.
    await page.getByTestId('segment-row').first().waitFor();
    await page.getByTestId('quantification').waitFor();
    const quantification = await page.getByTestId('quantification').textContent();
    expect(quantification).toMatch(/Infection\s*\d+\.\d mL/);
    expect(quantification).toMatch(/Lungs\s*\d+\.\d mL/);
    // The figures come from our SR in the PACS, per side.
    expect(quantification).toContain('measurement report (SR) in the PACS');
    expect(quantification).toMatch(/Right lung\s*\d+\.\d \/ \d+\.\d mL, \d+\.\d\d %/);
    expect(quantification).toMatch(/Left lung\s*\d+\.\d \/ \d+\.\d mL, \d+\.\d\d %/);
    expect(await page.getByTestId('job-timings').textContent()).toMatch(/infer\s*\d+\.\d\d s/);
    await page.screenshot({ path: join(artifactsDir, 'job-done-overlay.png') });

    // Read the SEG back from the PACS with libs/dicom and compare it with the canvas.
    const segUids = await stack.orthanc.findInstances({ Modality: 'SEG' });
    expect(segUids).toHaveLength(1);
    const ct = lidcSlicePaths().map((path) => parseDicom(new Uint8Array(readFileSync(path))));
    const source = ct.map(segSourceOf);
    const seg: SegReadResult = readSeg(await stack.orthanc.downloadInstance(segUids[0]!), source);
    const perSlice = seg.rows * seg.columns;
    const labelmaps = seg.segments.map((s) => s.labelmap);
    const counts = seg.slices.map((_, k) => unionOnSlice(labelmaps, k, perSlice).reduce((a, b) => a + b, 0));
    const fullest = counts.indexOf(Math.max(...counts));
    const empty = counts.indexOf(0);
    expect(counts[fullest]).toBeGreaterThan(0);
    const uids = await page.evaluate(() => window.__covseg!.sliceUids());
    for (const k of [fullest, empty, Math.floor((fullest + counts.length) / 2)].filter((k) => k >= 0)) {
      const comparison = await compareOverlayOnSlice(page, uids.indexOf(seg.slices[k]!.sopInstanceUID), unionOnSlice(labelmaps, k, perSlice));
      expect(comparison).toMatchObject({ paintedOutside: 0, missingInside: 0, mixed: 0 });
      expect(comparison.paintedInside > 0).toBe(counts[k]! > 0);
    }
    expect(errors).toEqual([]);
  });

  it('shows why a job failed on the jobs page', async () => {
    const job = await stack.server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: stack.server.pacsEndpointId, studyInstanceUID: STUDY, seriesInstanceUID: '1.2.3.4.5.6.7' }),
      expectStatus: 202,
    });
    await poll(async () => (await stack.server.json<{ status: string }>(`/api/jobs/${job.id}`)).status).toBe('failed');
    const failure = (await stack.server.json<{ error: { code: string; message: string } }>(`/api/jobs/${job.id}`)).error;
    const { page } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/jobs`);
    const row = page.locator('[data-testid=jobs-table] tr[data-status=failed]', { hasText: job.id });
    await row.waitFor();
    expect(await row.textContent()).toContain(`${failure.code}: ${failure.message}`);
  });

  it('lists the finished job in the worklist as a new result with its patient ID, and the study as having a SEG', async () => {
    const { page } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/jobs`);
    await page.locator('[data-testid=jobs-table] tr[data-status=succeeded]').first().waitFor();
    const row = await page.locator('[data-testid=jobs-table] tr[data-status=succeeded]').first().textContent();
    expect(row).toMatch(/new result/);
    expect(row).toContain('LIDC-IDRI-0001');
    expect(row).toMatch(/AI/);
    await page.screenshot({ path: join(artifactsDir, 'jobs-page.png') });
    await page.goto(`${stack.server.baseUrl}/#/studies`);
    const status = page.locator(`tr.study-row[data-study="${STUDY}"] [data-testid=seg-status]`);
    await poll(() => status.textContent()).toBe('SEG available');
    await page.screenshot({ path: join(artifactsDir, 'study-list.png') });
  });
});
