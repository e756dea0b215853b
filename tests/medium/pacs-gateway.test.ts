import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { freePort, OrthancInstance } from '../support/orthanc';
import { type ServerProcess, spawnServerProcess } from '../support/server';
import { HostilePacs } from './hostile-pacs';

/**
 * The PACS gateway (apps/server/src/pacs/repositories/pacs.gateway.ts) against a hostile PACS (a real
 * HTTP server scripted by the test) and a real Orthanc, through the real server process: capped
 * answers (memory measured on the process), no redirects, bodies cut short not retried for ever,
 * STOW-RS never re-sent blindly, and PACS failures that keep their meaning through our API.
 */
describe('the PACS gateway', () => {
  let hostile: HostilePacs;
  let decoy: Server;
  let decoyRequests = 0;
  let orthanc: OrthancInstance;
  let server: ServerProcess;
  let bombBytes = 0;

  const createEndpoint = async (name: string, baseUrl: string, extra: Record<string, unknown> = {}) =>
    (await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name, baseUrl, authType: 'bearer', secret: 'pacs-bearer-token', timeoutMs: 20_000, ...extra }) })).id;
  /** Peak resident memory of the server process so far (VmHWM), in bytes. */
  const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) * 1024;
  const studies = (endpointId: string) => server.request(`/api/studies?${new URLSearchParams({ endpointId })}`);

  beforeAll(async () => {
    hostile = await HostilePacs.start();
    decoy = createServer((request, response) => {
      decoyRequests += 1;
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
    });
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    bombBytes = await hostile.prepareGzipBomb(1024 ** 3);
    orthanc = await OrthancInstance.start();
    server = await spawnServerProcess({ env: { PACS_RETRIES: '4', PACS_RETRY_BASE_MS: '20', OUTBOX_SWEEP_MS: '3600000' } });
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await hostile?.close();
    decoy?.closeAllConnections();
    await new Promise((resolve) => decoy?.close(resolve));
    orthanc?.destroy();
  });

  describe('against a hostile PACS', () => {
    let endpointId: string;
    beforeAll(async () => {
      endpointId = await createEndpoint('hostile', hostile.dicomwebUrl);
    });

    it('stops reading a 1 GB QIDO answer at the cap, answers 502, and the server does not grow by the answer', async () => {
      hostile.mode = { kind: 'huge', bytes: 1024 ** 3 };
      const before = peakRss();
      const response = await studies(endpointId);
      expect(response.status).toBe(502);
      const body = await response.json();
      expect(body.error).toBe('PacsAnswerError');
      expect(body.message).toMatch(/larger than the 67108864 bytes accepted/);
      // The JSON cap is 64 MiB; before the cap the server buffered the whole answer (2.7 GB RSS measured).
      expect(peakRss() - before).toBeLessThan(400 * 1024 ** 2);
      expect((await server.request('/api/health')).status).toBe(200);
    });

    it('counts a gzip bomb by its inflated bytes: a ~1 MB answer that inflates to 1 GiB stops at the cap', async () => {
      expect(bombBytes).toBeLessThan(2 * 1024 ** 2);
      hostile.mode = { kind: 'gzip-bomb' };
      const before = peakRss();
      const response = await studies(endpointId);
      expect(response.status).toBe(502);
      expect((await response.json()).message).toMatch(/larger than the 67108864 bytes accepted/);
      expect(peakRss() - before).toBeLessThan(400 * 1024 ** 2);
    });

    it('never follows a redirect to another port, neither for a query nor through the viewer proxy', async () => {
      hostile.mode = { kind: 'redirect', location: `http://127.0.0.1:${(decoy.address() as AddressInfo).port}/dicom-web/studies` };
      const query = await studies(endpointId);
      expect(query.status).toBe(502);
      expect((await query.json()).message).toMatch(/redirect \(302\), which is never followed/);
      const proxied = await server.request(`/api/dicomweb/${endpointId}/studies`);
      expect(proxied.status).toBe(502);
      expect(decoyRequests).toBe(0);
    });

    it('gives up on a Content-Length lie after one retry instead of PACS_RETRIES, in a job too', async () => {
      hostile.mode = { kind: 'length-lie' };
      hostile.requests.length = 0;
      const response = await studies(endpointId);
      expect(response.status).toBe(502);
      expect((await response.json()).message).toMatch(/ended before its end/);
      expect(hostile.count('GET')).toBe(2);

      hostile.requests.length = 0;
      const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpointId, studyInstanceUID: '1.2.3.4' }), expectStatus: 202 });
      const job = await waitForJob(server, id);
      expect(job.status).toBe('failed');
      expect(job.error.message).toMatch(/ended before its end .*twice in a row/);
      // PACS_RETRIES is 4: a transient failure would have been asked 5 times.
      expect(hostile.count('GET')).toBe(2);
    });

    it('gives up on an unterminated multipart answer after one retry', async () => {
      hostile.mode = { kind: 'unterminated-multipart' };
      hostile.requests.length = 0;
      const response = await server.request(`/api/decoded-frames/${endpointId}/studies/1.2.3/series/1.2.4/instances/1.2.5`);
      expect(response.status).toBe(502);
      expect((await response.json()).message).toMatch(/without its closing multipart delimiter/);
      expect(hostile.count('GET')).toBe(2);
    });

    it('sends the endpoint credentials to the PACS and never to anyone else', () => {
      const sent = hostile.requests.filter((r) => r.authorization !== undefined);
      expect(sent.length).toBeGreaterThan(0);
      expect(new Set(sent.map((r) => r.authorization))).toEqual(new Set(['Bearer pacs-bearer-token']));
    });
  });

  describe('STOW-RS with an unclear outcome', () => {
    it('sends a STOW answered 500 exactly once, and the job fails with the PACS status', async () => {
      const series = SeriesFactory.ct().slices(12).build();
      await orthanc.upload(series.files);
      hostile.mode = { kind: 'forward', target: orthanc.dicomwebUrl, stow: 500 };
      hostile.requests.length = 0;
      const endpointId = await createEndpoint('stow-500', hostile.dicomwebUrl);
      const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpointId, studyInstanceUID: series.studyInstanceUID }), expectStatus: 202 });
      const job = await waitForJob(server, id);
      expect(job.status).toBe('failed');
      expect(job.error.message).toMatch(/STOW-RS failed with status 500/);
      expect(hostile.count('POST')).toBe(1);
    });

    it('sends a STOW that timed out exactly once', async () => {
      const series = SeriesFactory.ct().slices(12).build();
      await orthanc.upload(series.files);
      hostile.mode = { kind: 'forward', target: orthanc.dicomwebUrl, stow: 'hang' };
      hostile.requests.length = 0;
      const endpointId = await createEndpoint('stow-hang', hostile.dicomwebUrl, { timeoutMs: 3_000 });
      const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpointId, studyInstanceUID: series.studyInstanceUID }), expectStatus: 202 });
      const job = await waitForJob(server, id);
      expect(job.status).toBe('failed');
      expect(job.error.message).toMatch(/STOW-RS timed out after 3000 ms/);
      expect(hostile.count('POST')).toBe(1);
    });
  });

  describe('PACS failures through our API', () => {
    let orthancEndpoint: string;
    beforeAll(async () => {
      orthancEndpoint = await createEndpoint('orthanc', orthanc.dicomwebUrl, { authType: 'none', secret: undefined });
    });

    it('keeps a PACS 404 a 404 through the DICOMweb proxy, decoded frames and overlays', async () => {
      expect((await server.request(`/api/dicomweb/${orthancEndpoint}/studies/1.2.3.4/series/1.2.3.5/metadata`)).status).toBe(404);
      const frame = await server.request(`/api/decoded-frames/${orthancEndpoint}/studies/1.2.3.4/series/1.2.3.5/instances/1.2.3.6`);
      expect(frame.status).toBe(404);
      expect((await frame.json()).error).toBe('PacsResourceNotFoundError');
      const overlays = await server.request(`/api/overlays?${new URLSearchParams({ endpointId: orthancEndpoint, study: '1.2.3.4', series: '1.2.3.5' })}`);
      expect(overlays.status).toBe(404);
    });

    it('answers 504 when the PACS does not answer in time', async () => {
      hostile.mode = { kind: 'stall' };
      const endpointId = await createEndpoint('stalling', hostile.dicomwebUrl, { timeoutMs: 1_000 });
      const response = await studies(endpointId);
      expect(response.status).toBe(504);
      expect((await response.json()).error).toBe('PacsTimeoutError');
    });

    it('answers 502 when the PACS cannot be reached', async () => {
      const endpointId = await createEndpoint('nowhere', `http://127.0.0.1:${await freePort()}/dicom-web`);
      const response = await studies(endpointId);
      expect(response.status).toBe(502);
      expect((await response.json()).error).toBe('PacsUnreachableError');
    });
  });
});
