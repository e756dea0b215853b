import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorpusEntry } from '../fixtures/bad-input/make-corpus';
import { waitForJob } from '../support/jobs';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';
import { captureOutput } from './trust-support';

const corpusDir = resolve(__dirname, '../fixtures/bad-input');
const manifest = JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as CorpusEntry[];
const bytesOf = (file: string) => new Uint8Array(readFileSync(join(corpusDir, 'files', file)));
// Inputs that are well-formed enough that segmenting them is a legitimate answer (200) rather than a refusal.
const MAY_SUCCEED = new Set(['dicom-as-upload.dcm', 'png-1x1.png', 'localizer.dcm', 'nan-geometry.dcm', 'missing-geometry.dcm', 'secondary-capture.dcm']);

describe('hostile inputs fed to the running server', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  const output = captureOutput();
  const upload = (bytes: Uint8Array, name: string) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return server.request('/api/segment-image', { method: 'POST', body: form });
  };
  const expectHealthy = async () => expect((await server.request('/api/health')).status).toBe(200);

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { PACS_RETRIES: '1', PACS_RETRY_BASE_MS: '20' } });
  });
  afterAll(async () => {
    output.restore();
    await server?.stop();
    orthanc?.destroy();
  });

  it.each(manifest.map((e) => [e.file, e.description]))('answers the upload of %s (%s) with a clear 4xx, never a 500', async (file) => {
    const response = await upload(bytesOf(file), file);
    const body = await response.text();
    if (MAY_SUCCEED.has(file) && response.status === 200) {
      expect(JSON.parse(body)).toHaveProperty('maskPng');
    } else {
      expect(response.status, `${file}: ${body}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${file}: ${body}`).toBeLessThan(500);
      const error = JSON.parse(body) as { message: string | string[] };
      expect(String(error.message).length, body).toBeGreaterThan(10);
      expect(body).not.toMatch(/at .*\.ts:\d+/); // no stack traces
    }
    await expectHealthy();
  });

  it('refuses a request without a file, and one over the size limit, with 4xx', async () => {
    const empty = await server.request('/api/segment-image', { method: 'POST', body: new FormData() });
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
    const huge = await upload(new Uint8Array(33 * 1024 * 1024), 'huge.png');
    expect(huge.status).toBe(413);
    await expectHealthy();
  });

  it.each(manifest.filter((e) => e.kind === 'dicom').map((e) => [e.file]))('stores %s in the PACS if the PACS takes it, and the job fails with a reason', async (file) => {
    const stored = await fetch(`${orthanc.restUrl}/instances`, { method: 'POST', body: Buffer.from(bytesOf(file)) });
    if (!stored.ok) {
      // The PACS refused it: the server never sees it. Still fine, as long as we stay up.
      expect(stored.status).toBeGreaterThanOrEqual(400);
      return expectHealthy();
    }
    const { ParentStudy } = (await stored.json()) as { ParentStudy: string };
    const study = (await (await fetch(`${orthanc.restUrl}/studies/${ParentStudy}`)).json()) as { MainDicomTags: { StudyInstanceUID: string } };
    const { id } = await server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: study.MainDicomTags.StudyInstanceUID }),
      expectStatus: 202,
    });
    const job = await waitForJob(server, id, 60_000);
    expect(job.status, JSON.stringify(job)).toBe('failed');
    expect(job.error.code).toMatch(/^[a-z-]+(:[a-z-]+)?$/);
    expect(job.error.message.length).toBeGreaterThan(10);
    await expectHealthy();
  });

  it('answers randomly corrupted PNG and DICOM uploads with 2xx or 4xx, never 5xx (fast-check)', async () => {
    const seeds = [new Uint8Array(readFileSync(join(corpusDir, 'ct-64x64-base.png'))), new Uint8Array(readFileSync(join(corpusDir, 'ct-64x64-base.dcm')))];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat()), async (which, flips, cut) => {
        const bytes = seeds[which].slice();
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        const input = cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
        const response = await upload(input, which === 0 ? 'fuzz.png' : 'fuzz.dcm');
        await response.arrayBuffer();
        expect(response.status).toBeLessThan(500);
      }),
      { seed: 4242, numRuns: 60 },
    );
    await expectHealthy();
  });

  it('logged no unhandled 500 while doing all this', () => {
    expect(output.text()).not.toContain('Internal server error');
  });
});
