import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltSeries, SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { OrthancInstance } from '../support/orthanc';
import { startTestServer, type TestServer } from '../support/server';
import { CuttableProxy } from './faults-proxy';

const DICOM_JSON = 'application/dicom+json';
/** Longer than any two requests of this file take on a loaded machine, so "within the bound" is certain. */
const RECENT_MS = 10_000;

/**
 * The DICOMweb proxy's recent answers (PROXY_RECENT_ANSWER_MS, RecentAnswerCache): an identical QIDO or
 * metadata GET is answered from memory within the bound, never across endpoints, never to a caller
 * without a token; our own job's STOW into the study drops it at once; another process's store (here an
 * upload straight to the PACS) is seen once the bound has passed. Real Orthanc, counted through a proxy.
 */
describe('the DICOMweb proxy answers identical QIDO and metadata requests from its recent answers', () => {
  let orthanc: OrthancInstance;
  let pacs: CuttableProxy;
  let server: TestServer;
  let endpointId: string;
  let series: BuiltSeries;

  const createEndpoint = async (name: string) =>
    (await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name, baseUrl: pacs.dicomwebUrl, authType: 'none' }) })).id;
  const viaProxy = async (endpoint: string, path: string) => {
    const response = await server.request(`/api/dicomweb/${endpoint}/${path}`, { headers: { accept: DICOM_JSON } });
    const body = await response.text();
    return { status: response.status, body, source: /desc="(\w+)"/.exec(response.headers.get('server-timing') ?? '')?.[1] };
  };
  const upstream = (path: string) => pacs.count(new RegExp(`^GET /dicom-web/${path.replace(/\./g, '\\.')}$`));
  const modalitiesOf = (qidoBody: string) => (JSON.parse(qidoBody) as Array<Record<string, { Value?: string[] }>>).map((s) => s['00080060']?.Value?.[0]).sort();

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    series = SeriesFactory.ct().size(96, 96).pixelSpacingMm(3, 3).slices(10).build();
    await orthanc.upload(series.files);
    pacs = await CuttableProxy.start(orthanc.restUrl);
    server = await startTestServer({ env: { PROXY_RECENT_ANSWER_MS: String(RECENT_MS), PROXY_GZIP_LEVEL: '1' } });
    endpointId = await createEndpoint('recent-pacs');
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await pacs?.close();
    orthanc?.destroy();
  });

  it('answers a repeated series metadata and QIDO request from memory, for the same endpoint and authenticated callers only', async () => {
    const metadata = `studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/metadata`;
    const first = await viaProxy(endpointId, metadata);
    expect(first).toMatchObject({ status: 200, source: 'upstream' });
    expect((JSON.parse(first.body) as unknown[]).length).toBe(10);
    const second = await viaProxy(endpointId, metadata);
    expect(second).toMatchObject({ status: 200, source: 'recent', body: first.body });
    expect(upstream(metadata)).toBe(1);

    // No token: refused before any memory is looked at.
    expect((await fetch(`${server.baseUrl}/api/dicomweb/${endpointId}/${metadata}`, { headers: { accept: DICOM_JSON } })).status).toBe(401);
    // Another endpoint on the same PACS URL (its own credentials, its own rights) asks the PACS itself.
    const other = await createEndpoint('same-pacs-other-endpoint');
    expect(await viaProxy(other, metadata)).toMatchObject({ status: 200, source: 'upstream' });
    expect(upstream(metadata)).toBe(2);
    // An endpoint changed by an admin asks the PACS again.
    await server.json(`/api/pacs-endpoints/${endpointId}`, { method: 'PATCH', body: JSON.stringify({ timeoutMs: 25_000 }) });
    expect(await viaProxy(endpointId, metadata)).toMatchObject({ status: 200, source: 'upstream' });
    expect(upstream(metadata)).toBe(3);
    // An error is never kept.
    const missing = `studies/${series.studyInstanceUID}/series/1.2.826.0.1.3680043.8.498.4242/metadata`;
    for (let i = 0; i < 2; i++) expect((await viaProxy(endpointId, missing)).status).toBe(404);
    expect(upstream(missing)).toBe(2);
    // The PACS is asked for identity answers (PACS_ACCEPT_ENCODING): no gzip on either side for a LAN.
    expect(new Set(pacs.acceptEncodings)).toEqual(new Set(['identity']));
  });

  it('sends a JSON answer gzipped to a caller that accepts gzip, and as it is to one that does not', async () => {
    const metadata = `studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/metadata`;
    // Asked the way the server asks (its BulkDataURIs name the URL asked).
    const direct = await (await fetch(`${pacs.dicomwebUrl}/${metadata}`, { headers: { accept: DICOM_JSON, 'accept-encoding': 'identity' } })).text();
    const gzipped = await server.request(`/api/dicomweb/${endpointId}/${metadata}`, { headers: { accept: DICOM_JSON, 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(Number(gzipped.headers.get('content-length'))).toBeLessThan(direct.length / 4);
    // fetch inflates it: the very bytes the PACS sent.
    expect(await gzipped.text()).toBe(direct);
    const plain = await server.request(`/api/dicomweb/${endpointId}/${metadata}`, { headers: { accept: DICOM_JSON, 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBe(Buffer.byteLength(direct));
    expect(await plain.text()).toBe(direct);
    // An instance (DICOM) is never compressed.
    const instance = await server.request(`/api/dicomweb/${endpointId}/studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/instances/${series.instances[0]!.sopInstanceUID}`, {
      headers: { accept: 'multipart/related; type="application/dicom"', 'accept-encoding': 'gzip' },
    });
    expect(instance.status).toBe(200);
    expect(instance.headers.get('content-encoding')).toBeNull();
    await instance.arrayBuffer();
  });

  it('drops the study when our own job stores its SEG there, but shows another store only after the bound', async () => {
    const qido = `studies/${series.studyInstanceUID}/series`;
    const { id } = await server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: endpointId, studyInstanceUID: series.studyInstanceUID, seriesInstanceUID: series.seriesInstanceUID }),
      expectStatus: 202,
    });
    // The viewer keeps asking while the job runs: the answer is in memory (≤ RECENT_MS old) when the SEG is stored.
    let job: { status: string } = { status: 'queued' };
    while (job.status === 'queued' || job.status === 'running') {
      const answer = await viaProxy(endpointId, qido);
      expect(answer.status).toBe(200);
      job = await server.json<{ status: string }>(`/api/jobs/${id}`);
      if (job.status === 'queued' || job.status === 'running') await new Promise((r) => setTimeout(r, 200));
    }
    expect(job.status).toBe('succeeded');
    // Each of our stores (SEG, then SR) dropped the study's answers: the very next request sees both
    // (asked again, or kept from a request that came after the last store).
    const after = await viaProxy(endpointId, qido);
    expect(modalitiesOf(after.body)).toEqual(['CT', 'SEG', 'SR']);
    expect((await viaProxy(endpointId, qido)).source).toBe('recent');

    // A store we did not make (another server, a modality) is seen once the bound has passed.
    const before = await waitForJob(server, id);
    expect(before.status).toBe('succeeded');
    const more = SeriesFactory.ct()
      .size(32, 32)
      .slices(2)
      .modify((dataset) => (dataset.StudyInstanceUID = series.studyInstanceUID))
      .build();
    await orthanc.upload(more.files);
    const stale = await viaProxy(endpointId, qido);
    expect(stale.source).toBe('recent');
    expect(modalitiesOf(stale.body)).toEqual(['CT', 'SEG', 'SR']);
    await expect
      .poll(async () => modalitiesOf((await viaProxy(endpointId, qido)).body), { timeout: RECENT_MS + 20_000, interval: 500 })
      .toEqual(['CT', 'CT', 'SEG', 'SR']);
  });
});
