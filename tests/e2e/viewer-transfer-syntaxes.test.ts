import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom } from '@covseg/dicom';
import { artifactsDir, startViewerStack, viewerUrl, waitForViewerReady, type ViewerStack } from './support/viewer-stack';

// NEMA WG04 CT1 (tests/fixtures/transfer-syntaxes/ATTRIBUTION.md): the same chest slice, uncompressed
// and JPEG 2000 lossless. Orthanc 1.10 cannot transcode JPEG 2000 for WADO-RS frames, so the viewer must
// fall back to the server decoding the instance.
const folder = resolve(__dirname, '../fixtures/transfer-syntaxes/nema-wg04');
const j2k = join(folder, 'CT1_J2KR.dcm');
const uncompressed = join(folder, 'CT1_UNC.dcm');

describe('a slice the PACS cannot transcode (JPEG 2000 lossless)', () => {
  let stack: ViewerStack;
  let expectedSum = 0;
  let study: string;
  let series: string;
  let sop: string;

  beforeAll(async () => {
    const reference = parseDicom(new Uint8Array(readFileSync(uncompressed)));
    const stored = await reference.decodeFrame(0);
    for (let i = 0; i < stored.length; i++) expectedSum += stored[i]!;
    const compressed = parseDicom(new Uint8Array(readFileSync(j2k)));
    study = String(compressed.dataset.StudyInstanceUID);
    series = String(compressed.dataset.SeriesInstanceUID);
    sop = compressed.sopInstanceUID;
    stack = await startViewerStack((orthanc) => orthanc.upload([j2k]));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is decoded by the server to the same stored values as the uncompressed file', async () => {
    const response = await stack.server.request(`/api/decoded-frames/${stack.server.pacsEndpointId}/studies/${study}/series/${series}/instances/${sop}?frame=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-rows')).toBe('512');
    expect(response.headers.get('x-bits-allocated')).toBe('16');
    const bytes = new Uint8Array(await response.arrayBuffer());
    const values = response.headers.get('x-pixel-signed') === 'true' ? new Int16Array(bytes.buffer) : new Uint16Array(bytes.buffer);
    let sum = 0;
    for (const value of values) sum += value;
    expect(sum).toBe(expectedSum);
  });

  it('refuses a frame number the instance does not have with 422', async () => {
    const response = await stack.server.request(`/api/decoded-frames/${stack.server.pacsEndpointId}/studies/${study}/series/${series}/instances/${sop}?frame=2`);
    expect(response.status).toBe(422);
  });

  it('is shown in the viewer with exactly the uncompressed stored values, and no error', async () => {
    const { page, errors } = await stack.newPage();
    const frameStatuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/frames/1') || r.url().includes('/api/decoded-frames/')) frameStatuses.push(r.status());
    });
    await page.goto(viewerUrl(stack.server, study, series));
    await waitForViewerReady(page);
    expect(await page.evaluate(() => window.__covseg!.storedPixelSum())).toEqual({ sum: expectedSum, count: 512 * 512 });
    // Orthanc answers the transcoded-frame request with an error; the decoded frame then arrives.
    expect(frameStatuses).toEqual([500, 200]);
    expect(await page.locator('.toast-error').count()).toBe(0);
    await page.screenshot({ path: join(artifactsDir, 'viewer-jpeg2000-fallback.png') });
    expect(errors).toEqual([]);
  });
});
