import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseDicom } from '@covseg/dicom';
import { lidcSlicePaths } from '../support/lidc-fixture';
import { artifactsDir, startViewerStack, viewerUrl, waitForFirstImage, waitForViewerReady, type ViewerStack } from './support/viewer-stack';
import { poll } from './support/poll';

const STUDY = '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178';
const SERIES = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';

describe('the viewer on the 133-slice LIDC chest CT', () => {
  let stack: ViewerStack;

  beforeAll(async () => {
    stack = await startViewerStack((orthanc) => orthanc.upload(lidcSlicePaths()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the study with its patient ID and opens its series from the study list', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/studies`);
    const row = page.locator(`tr.study-row[data-study="${STUDY}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('CT');
    await row.click();
    await page.locator(`a[data-series="${SERIES}"]`).click();
    await waitForViewerReady(page);
    expect(await page.evaluate(() => window.__covseg!.viewState().count)).toBe(133);
    await page.screenshot({ path: join(artifactsDir, 'study-list-to-viewer.png') });
    expect(errors).toEqual([]);
  });

  it('filters the study list by patient ID, name, date and accession', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/studies`);
    await page.locator(`tr.study-row[data-study="${STUDY}"]`).waitFor();
    const search = async (field: string, value: string) => {
      for (const name of ['patientId', 'patientName', 'studyDate', 'accessionNumber']) await page.locator(`input[name=${name}]`).fill(name === field ? value : '');
      const answer = page.waitForResponse((r) => r.url().includes('/api/studies?'));
      await page.getByRole('button', { name: 'Search' }).click();
      await answer;
      await poll(() => page.getByTestId('study-count').textContent()).not.toBe('Searching…');
      return page.locator('tr.study-row').count();
    };
    expect(await search('patientId', 'LIDC-IDRI-0001')).toBe(1);
    expect(await search('patientId', 'NOBODY-42')).toBe(0);
    expect(await search('studyDate', '20000101')).toBe(1);
    expect(await search('studyDate', '19990101-19991231')).toBe(0);
    expect(await search('accessionNumber', '2819497684894126')).toBe(1);
    expect(await search('accessionNumber', '1')).toBe(0);
    expect(await search('patientName', 'ZZZ')).toBe(0);
    expect(errors).toEqual([]);
  });

  it('keeps the viewer usable on a large monitor', async () => {
    const { page, errors } = await stack.newPage({ width: 2560, height: 1440 });
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForViewerReady(page);
    const box = (await page.getByTestId('viewport').boundingBox())!;
    expect(box.width).toBeGreaterThan(1800);
    expect(box.height).toBeGreaterThan(1200);
    await page.screenshot({ path: join(artifactsDir, 'viewer-2560x1440.png') });
    expect(errors).toEqual([]);
  });

  it('changes the slice with the mouse wheel, the arrow keys and the slider', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForViewerReady(page);
    const index = () => page.evaluate(() => window.__covseg!.viewState().rendered);
    const start = await index();
    const viewport = page.getByTestId('viewport');
    await viewport.hover();
    await page.mouse.wheel(0, 100);
    await poll(index).toBe(start + 2);
    await page.keyboard.press('ArrowUp');
    await poll(index).toBe(start + 1);
    await page.keyboard.press('Home');
    await poll(index).toBe(0);
    await page.getByTestId('slice-slider').fill('100');
    await poll(index).toBe(100);
    // The corner text follows the render, one animation frame after the slice is displayed.
    await poll(() => page.getByTestId('corner-slice').textContent()).toMatch(/^Slice 101\/133/);
    expect(errors).toEqual([]);
  });

  it('changes the rendered pixels and the W/L corner text when the window is dragged', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForViewerReady(page);
    const before = await page.evaluate(() => window.__covseg!.imageChecksum());
    const wlBefore = await page.getByTestId('corner-wl').textContent();
    expect(wlBefore).toBe('W 1500  L -600');
    const box = (await page.getByTestId('viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2 + 60, { steps: 6 });
    await page.mouse.up();
    await poll(() => page.evaluate(() => window.__covseg!.imageChecksum())).not.toBe(before);
    expect(await page.getByTestId('corner-wl').textContent()).not.toBe(wlBefore);
    await page.keyboard.press('2');
    await poll(() => page.getByTestId('corner-wl').textContent()).toBe('W 350  L 50');
    await page.screenshot({ path: join(artifactsDir, 'viewer-mediastinum.png') });
    expect(errors).toEqual([]);
  });

  it('zooms with + and ctrl+drag, pans with shift+drag, and resets with r', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForViewerReady(page);
    const scale = () => page.evaluate(() => window.__covseg!.viewState().scale);
    const fit = await scale();
    await page.keyboard.press('+');
    await poll(scale).toBeCloseTo(fit * 1.25, 5);
    const box = (await page.getByTestId('viewport').boundingBox())!;
    const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await page.keyboard.down('Control');
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.down();
    await page.mouse.move(centre.x, centre.y - 80, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Control');
    await poll(scale).toBeGreaterThan(fit * 1.25 * 1.5);
    const beforePan = await page.evaluate(() => window.__covseg!.imageChecksum());
    await page.keyboard.down('Shift');
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.down();
    await page.mouse.move(centre.x + 90, centre.y + 40, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await poll(() => page.evaluate(() => window.__covseg!.imageChecksum())).not.toBe(beforePan);
    await page.screenshot({ path: join(artifactsDir, 'viewer-zoomed-panned.png') });
    await page.keyboard.press('r');
    await poll(scale).toBeCloseTo(fit, 5);
    expect(errors).toEqual([]);
  });

  it('caches every slice of the series after opening it, from one series retrieve read in a worker, with the PACS pixels', async () => {
    const { page, errors } = await stack.newPage();
    // Every request the page and its workers send, as the browser saw them (the series retrieve runs in a worker).
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForFirstImage(page);
    // Read from cornerstone's own cache, not from our counters.
    await page.waitForFunction(() => window.__covseg!.cachedCount() === 133, undefined, { timeout: 120_000 });
    expect(requests.filter((path) => path.endsWith(`/series/${SERIES}`))).toHaveLength(1);
    expect(requests.filter((path) => path.includes('/frames/')).length).toBeLessThan(10);
    // The worker is a bundled file of our origin (CSP worker-src 'self'), and it delivered the other 132 slices.
    expect(workers).toEqual([expect.stringMatching(/^\/assets\/series-stream\.worker-[\w-]+\.js$/)]);
    await poll(() => page.evaluate(() => window.__covseg!.loadTimes().stream?.outcome)).toBe('complete');
    expect(await page.evaluate(() => window.__covseg!.loadTimes().stream?.delivered)).toBe(132);
    // The cached slices are the PACS's pixels: first, middle and last compared with the files as parsed server-side.
    const paths = lidcSlicePaths();
    for (const index of [0, 66, 132]) {
      await page.evaluate((i) => window.__covseg!.show(i), index);
      const stored = await (parseDicom(new Uint8Array(readFileSync(paths[index]!)))).decodeFrame(0);
      let sum = 0;
      for (const v of stored) sum += v;
      expect(await page.evaluate(() => window.__covseg!.storedPixelSum())).toEqual({ sum, count: 512 * 512 });
    }
    expect(errors).toEqual([]);
  });

  it('opens a series again from cornerstone\'s cache, without retrieving it again', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForFirstImage(page);
    await page.waitForFunction(() => window.__covseg!.cachedCount() === 133, undefined, { timeout: 120_000 });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    await page.evaluate(() => (location.hash = '#/studies'));
    await page.evaluate(() => history.back());
    await waitForViewerReady(page);
    expect(await page.evaluate(() => window.__covseg!.cachedCount())).toBe(133);
    expect(requests.filter((path) => path.endsWith(`/series/${SERIES}`) || path.includes('/frames/'))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('tears the viewer down cleanly when the user leaves while slices are still loading', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForFirstImage(page);
    await page.evaluate(() => (location.hash = '#/jobs'));
    await page.getByTestId('jobs-table').waitFor();
    expect(await page.evaluate(() => window.__covseg)).toBeUndefined();
    await page.waitForTimeout(1500);
    await page.evaluate(() => history.back());
    await waitForViewerReady(page);
    expect(await page.locator('.toast-error').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('shows the keyboard help with ? and closes it with Escape', async () => {
    const { page } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, STUDY, SERIES));
    await waitForViewerReady(page);
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').waitFor();
    await page.screenshot({ path: join(artifactsDir, 'help-overlay.png') });
    await page.keyboard.press('Escape');
    await page.getByTestId('help-overlay').waitFor({ state: 'detached' });
  });
});
