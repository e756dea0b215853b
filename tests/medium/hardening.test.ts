import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { baseCtSlice, TAGS, withValue } from '../support/dicom-edit';
import { manyEmptyElementsDicom } from '../support/hostile-dicom';
import { waitForJob } from '../support/jobs';
import { OrthancInstance, freePort } from '../support/orthanc';
import { ServerProcess, spawnServerProcess } from '../support/server';

/**
 * Issue #10: each thing an outside probe broke, replayed against the BUILT server as its own process
 * (node dist/apps/server/src/main.js) with a real Orthanc. Every test here failed before its fix.
 */
describe('the server process under the attacks of issue #10', () => {
  let orthanc: OrthancInstance;
  let server: ServerProcess;
  let series: ReturnType<ReturnType<typeof SeriesFactory.ct>['build']>;

  const upload = (bytes: Uint8Array, name = 'slice.dcm', target: ServerProcess = server) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return target.request('/api/segment-image', { method: 'POST', body: form });
  };
  const endpoint = (body: Record<string, unknown>) => server.request('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify(body) });
  const expectHealthy = async () => expect((await server.request('/api/health')).status).toBe(200);

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    series = SeriesFactory.ct().size(64, 64).slices(8).build();
    await orthanc.upload(series.files);
    server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  describe('browser protections', () => {
    it.each(['/', '/api/health', '/api/pacs-endpoints', '/login'])('sends CSP, nosniff and frame protection on %s, and no X-Powered-By', async (path) => {
      const response = await server.request(path, { headers: { accept: 'text/html' } });
      await response.arrayBuffer();
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')?;/);
    });
  });

  describe('bodies', () => {
    it('answers a JSON body over the limit with 413, with or without a token', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(1_200_000) });
      const anonymous = await fetch(`${server.baseUrl}/api/pacs-endpoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(anonymous.status).toBe(413);
      expect((await anonymous.json()).message).toMatch(/larger than the server accepts/);
      const signedIn = await server.request('/api/jobs', { method: 'POST', body: big });
      expect(signedIn.status).toBe(413);
      // Under MAX_JSON_BODY_BYTES (1 MiB; body-parser's default was 100 KB): parsed, then refused by validation.
      const underLimit = await server.request('/api/jobs', { method: 'POST', body: JSON.stringify({ note: 'x'.repeat(500_000) }) });
      expect(underLimit.status).toBe(400);
      expect(JSON.stringify(await underLimit.json())).toMatch(/property note should not exist/);
      await expectHealthy();
    });

    it('answers 45,000 nested arrays with 400, not a RangeError 500', async () => {
      const response = await server.request('/api/jobs', { method: 'POST', body: '['.repeat(45_000) + ']'.repeat(45_000) });
      expect(response.status).toBe(400);
      expect((await response.json()).message).toMatch(/deeper than 64 levels/);
      await expectHealthy();
    });

    it('answers malformed JSON with 400 and an unsupported charset with 415', async () => {
      const malformed = await server.request('/api/jobs', { method: 'POST', body: '{"pacsEndpointId": ' });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).message).toMatch(/JSON/);
      const charset = await server.request('/api/jobs', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json; charset=klingon' } });
      expect(charset.status).toBe(415);
    });
  });

  describe('PACS endpoints', () => {
    it('keeps the credentials when a PATCH omits authType', async () => {
      const created = await (await endpoint({ name: 'basic-pacs', baseUrl: orthanc.dicomwebUrl, authType: 'basic', username: 'alice', secret: 'pw' })).json();
      const patched = await server.json<Record<string, unknown>>(`/api/pacs-endpoints/${created.id}`, { method: 'PATCH', body: JSON.stringify({ timeoutMs: 10_000 }) });
      expect(patched).toMatchObject({ authType: 'basic', username: 'alice', hasSecret: true, timeoutMs: 10_000 });
    });

    it.each([
      ['a bearer secret with CR/LF', { authType: 'bearer', secret: 'token\r\nX-Injected: 1' }, /secret must not contain control characters/],
      ['a password with a NUL', { authType: 'basic', username: 'bob', secret: 'pw\u0000' }, /secret must not contain control characters/],
      ['a username with a colon', { authType: 'basic', username: 'bo:b', secret: 'pw' }, /username must not contain a colon/],
    ])('refuses %s at input with 400', async (_what, auth, message) => {
      const response = await endpoint({ name: `bad-${Math.random()}`, baseUrl: orthanc.dicomwebUrl, ...auth });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toMatch(message);
    });

    it('disables an endpoint that jobs refer to instead of a forever-409 delete, and enables it again', async () => {
      const dead = `http://127.0.0.1:${await freePort()}/dicom-web`;
      const created = await (await endpoint({ name: 'dead-pacs', baseUrl: dead, timeoutMs: 500 })).json();
      const { id: jobId } = await server.json<{ id: string }>('/api/jobs', {
        method: 'POST',
        body: JSON.stringify({ pacsEndpointId: created.id, studyInstanceUID: series.studyInstanceUID }),
        expectStatus: 202,
      });
      expect((await waitForJob(server, jobId)).status).toBe('failed');
      expect((await server.json<any>('/api/health')).pacsEndpoints.map((p: { id: string }) => p.id)).toContain(created.id);

      const refused = await server.request(`/api/pacs-endpoints/${created.id}`, { method: 'DELETE' });
      expect(refused.status).toBe(409);
      expect((await refused.json()).message).toMatch(/disable it instead/);

      const disabled = await server.json<any>(`/api/pacs-endpoints/${created.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
      expect(disabled).toMatchObject({ enabled: false });
      expect(disabled.disabledAt).toMatch(/^\d{4}-/);
      const health = await server.json<any>('/api/health');
      expect(health.pacsEndpoints.map((p: { id: string }) => p.id)).not.toContain(created.id);
      const noJob = await server.request('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: created.id, studyInstanceUID: series.studyInstanceUID }) });
      expect(noJob.status).toBe(409);
      expect((await noJob.json()).error).toBe('PacsEndpointDisabledError');
      // The job history stays readable.
      expect((await server.json<any>(`/api/jobs/${jobId}`)).pacsEndpointId).toBe(created.id);

      const enabled = await server.json<any>(`/api/pacs-endpoints/${created.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
      expect(enabled.enabled).toBe(true);
      expect(enabled).not.toHaveProperty('disabledAt');
    });
  });

  describe('UIDs, overlays and the proxy', () => {
    it.each(['01.2', '1.02', '1..2', '.1.2', '1.2.', '1.2.a'])('refuses the malformed UID %s (PS3.5 §9.1) with 400', async (uid) => {
      const response = await server.request('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: uid }) });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toMatch(/studyInstanceUID must be a DICOM UID/);
    });

    it('answers /api/overlays with 404 when the PACS says 404', async () => {
      const query = new URLSearchParams({ endpointId: server.pacsEndpointId!, study: '1.2.3.4', series: '1.2.3.5' });
      const response = await server.request(`/api/overlays?${query}`);
      expect(response.status).toBe(404);
      expect((await response.json()).error).toBe('PacsResourceNotFoundError');
    });

    it("passes only DICOMweb paths, even when the base URL is Orthanc's REST root", async () => {
      const root = await (await endpoint({ name: 'orthanc-root', baseUrl: orthanc.restUrl })).json();
      const orthancIds = (await (await fetch(`${orthanc.restUrl}/instances`)).json()) as string[];
      const proxied = (path: string) => server.request(`/api/dicomweb/${root.id}/${path}`);
      for (const path of [`instances/${orthancIds[0]}/file`, `instances/${orthancIds[0]}`, `studies/${orthancIds[0]}/archive`, 'tools/find', 'system', 'patients', 'changes', 'series/1.2/archive']) {
        const response = await proxied(path);
        expect(response.status, path).toBe(400);
        expect((await response.json()).message, path).toMatch(/DICOMweb|must start with studies/);
      }
      // The real DICOMweb endpoint still serves a frame.
      const instance = series.instances[0]!.sopInstanceUID;
      const frame = await server.request(`/api/dicomweb/${server.pacsEndpointId}/studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/instances/${instance}/frames/1`, {
        headers: { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' },
      });
      expect(frame.status).toBe(200);
      await frame.arrayBuffer();
    });
  });

  describe('uploaded DICOM slices', () => {
    const base = baseCtSlice();

    it('segments the untouched base slice (the worker pool parses it)', async () => {
      const response = await upload(base);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await response.json()).toMatchObject({ inputFormat: 'dicom', width: 64, height: 64 });
    });

    it.each([
      ['PixelSpacing 1e-300 (once a 500 in closeSquare)', TAGS.PixelSpacing, '1e-300\\1e-300', /PixelSpacing "1e-300\\\\1e-300"/],
      ['PixelSpacing 0', TAGS.PixelSpacing, '0\\0', /PixelSpacing/],
      ['a negative PixelSpacing', TAGS.PixelSpacing, '-0.7\\0.7', /PixelSpacing/],
      ['a NaN PixelSpacing', TAGS.PixelSpacing, 'NaN\\NaN', /PixelSpacing/],
      ['a text PixelSpacing', TAGS.PixelSpacing, 'abc\\def', /PixelSpacing/],
      ['a PixelSpacing of 1e300', TAGS.PixelSpacing, '1e300\\1e300', /PixelSpacing/],
      ['RescaleSlope NaN', TAGS.RescaleSlope, 'NaN', /RescaleSlope/],
      ['RescaleSlope Infinity', TAGS.RescaleSlope, 'Infinity', /RescaleSlope/],
      ['RescaleSlope 0', TAGS.RescaleSlope, '0', /RescaleSlope/],
      ['a text RescaleSlope', TAGS.RescaleSlope, 'slope', /RescaleSlope/],
      ['a text RescaleIntercept', TAGS.RescaleIntercept, 'minus', /RescaleIntercept/],
      ['no Modality', TAGS.Modality, null, /no Modality/],
      ['Modality MR', TAGS.Modality, 'MR', /Modality "MR"/],
      ['a SEG SOP class', TAGS.SOPClassUID, '1.2.840.10008.5.1.4.1.1.66.4', /SOP Class 1.2.840.10008.5.1.4.1.1.66.4/],
    ])('refuses a slice with %s with 422 naming the value', async (_what, tag, value, message) => {
      const response = await upload(withValue(base, tag, value));
      const body = await response.json();
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(body.message).toMatch(message);
      await expectHealthy();
    });

    it('fails a job on a series with PixelSpacing 1e-300 with a reason, before the lung mask (the same library rule)', async () => {
      const tiny = SeriesFactory.ct().size(64, 64).slices(8).modify((ds) => (ds.PixelSpacing = ['1e-300', '1e-300'])).build();
      await orthanc.upload(tiny.files);
      const { id } = await server.json<{ id: string }>('/api/jobs', {
        method: 'POST',
        body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: tiny.studyInstanceUID, seriesInstanceUID: tiny.seriesInstanceUID }),
        expectStatus: 202,
      });
      const job = await waitForJob(server, id);
      expect(job.status).toBe('failed');
      expect(job.error.code).toBe('series-rejected:implausible-geometry');
      expect(job.error.message).toMatch(/PixelSpacing "1e-300\\1e-300"/);
      await expectHealthy();
    });

    it('refuses 1,000,000 empty private elements with 422 at the element limit', async () => {
      const response = await upload(manyEmptyElementsDicom(1_000_000));
      expect(response.status).toBe(422);
      expect((await response.json()).message).toMatch(/more than 20000 data elements/);
      await expectHealthy();
    });
  });
});

describe('the upload parse worker limits', () => {
  let orthanc: OrthancInstance;
  let limited: ServerProcess | undefined;
  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
  });
  afterAll(async () => {
    await limited?.stop();
    orthanc?.destroy();
  });

  const upload = (target: ServerProcess, bytes: Uint8Array) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'hostile.dcm');
    return target.request('/api/segment-image', { method: 'POST', body: form });
  };

  it('stops a parse past UPLOAD_PARSE_TIMEOUT_MS and one past UPLOAD_PARSE_HEAP_MB with 422, and keeps serving', async () => {
    // Element limit lifted, so only time and memory can stop the million-element parse.
    limited = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, env: { UPLOAD_PARSE_MAX_ELEMENTS: '10000000', UPLOAD_PARSE_TIMEOUT_MS: '1500', UPLOAD_PARSE_HEAP_MB: '2048' } });
    const hostile = manyEmptyElementsDicom(1_000_000);
    const timedOut = await upload(limited, hostile);
    expect(timedOut.status).toBe(422);
    expect((await timedOut.json()).message).toMatch(/ran longer than 1500 ms and was stopped/);
    expect((await limited.request('/api/health')).status).toBe(200);
    await limited.stop();

    limited = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, env: { UPLOAD_PARSE_MAX_ELEMENTS: '10000000', UPLOAD_PARSE_TIMEOUT_MS: '600000', UPLOAD_PARSE_HEAP_MB: '16' } });
    const outOfMemory = await upload(limited, hostile);
    expect(outOfMemory.status).toBe(422);
    expect((await outOfMemory.json()).message).toMatch(/needed more than 16 MB of heap/);
    expect((await limited.request('/api/health')).status).toBe(200);
    // A new worker takes the next upload.
    const next = await upload(limited, baseCtSlice());
    expect(next.status).toBe(200);
  });
});
