import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltSeries, SeriesFactory } from '../factories/series.factory';
import { freePort, OrthancInstance } from '../support/orthanc';
import { type ServerProcess, spawnServerProcess } from '../support/server';
import { CuttableProxy } from './faults-proxy';

const MULTIPART_DICOM = 'multipart/related; type="application/dicom"';

/**
 * The viewer's DICOMweb proxy when the PACS is busy (apps/server/src/viewer-api/services/dicomweb-proxy.service.ts),
 * through the real server process to a real Orthanc behind a proxy that can cut or hold its answers:
 * a cut answer asked for once more before the browser sees a byte, a second cut a clean 502, a cut past
 * the first bytes logged, identical requests in flight sharing one PACS request, and instances kept in
 * memory per endpoint.
 */
describe('the DICOMweb proxy under load', () => {
  let orthanc: OrthancInstance;
  let pacs: CuttableProxy;
  let server: ServerProcess;
  let small: BuiltSeries;
  let large: BuiltSeries;
  let pair: BuiltSeries;
  let endpointId: string;

  const createEndpoint = async (name: string) =>
    (await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name, baseUrl: pacs.dicomwebUrl, authType: 'none', timeoutMs: 20_000 }) })).id;
  const instancePath = (series: BuiltSeries, index: number) => `studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/instances/${series.instances[index]!.sopInstanceUID}`;
  const viaProxy = (endpoint: string, path: string, accept = MULTIPART_DICOM) => server.request(`/api/dicomweb/${endpoint}/${path}`, { headers: { accept } });
  /** Upstream requests for exactly this DICOMweb path (no query). */
  const upstream = (path: string) => pacs.count(new RegExp(`^GET /dicom-web/${path.replace(/\./g, '\\.')}$`));
  /** A multipart answer with its boundary replaced, to compare two answers of the same object. */
  const normalised = (body: Buffer, contentType: string | null) => {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/.exec(contentType ?? '');
    return boundary ? body.toString('latin1').split(boundary[1] ?? boundary[2]!).join('BOUNDARY') : body.toString('latin1');
  };
  const direct = async (path: string) => {
    const response = await fetch(`${orthanc.dicomwebUrl}/${path}`, { headers: { accept: MULTIPART_DICOM } });
    return normalised(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type'));
  };
  const metric = async (name: string, labels = '') => {
    const text = await (await server.request('/metrics')).text();
    const match = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\d+)`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    small = SeriesFactory.ct().slices(4).build();
    // 20 slices of 512²: a ~10 MB series retrieve, past what the proxy reads whole (8 MiB), so it streams.
    large = SeriesFactory.ct().slices(20).size(512, 512).build();
    // 3 slices of 512²: a ~1.5 MB series retrieve, whose single instances (~0.5 MB) are read whole.
    pair = SeriesFactory.ct().slices(3).size(512, 512).build();
    await orthanc.upload([...small.files, ...large.files, ...pair.files]);
    pacs = await CuttableProxy.start(orthanc.restUrl);
    // Recent answers off (PROXY_RECENT_ANSWER_MS=0): every test here counts what reaches the PACS per
    // request; proxy-recent-answers.test.ts tests them on.
    server = await spawnServerProcess({ env: { PROXY_RECENT_ANSWER_MS: '0' } });
    endpointId = await createEndpoint('busy-pacs');
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await pacs?.close();
    orthanc?.destroy();
  });

  it('asks once more for an instance cut mid-body, before the browser sees a byte, and logs the cut by UIDs only', async () => {
    const path = instancePath(small, 0);
    pacs.cutAnswers(new RegExp(`/instances/${small.instances[0]!.sopInstanceUID}$`), 1);
    const response = await viaProxy(endpointId, path);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(normalised(body, response.headers.get('content-type'))).toBe(await direct(path));
    expect(upstream(path)).toBe(2);
    const logged = server.output().split('\n').filter((line) => line.includes('cut its answer mid-body'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(small.instances[0]!.sopInstanceUID);
    expect(logged[0]).toContain(endpointId);
    expect(logged[0]).toContain('asking once more');
    expect(server.output()).not.toContain('Phantom');
    expect(await metric('covseg_proxy_upstream_cuts_total', 'outcome="retried"')).toBe(1);
  });

  it('asks once more when the connection is lost before any answer', async () => {
    const path = `studies/${small.studyInstanceUID}/series/${small.seriesInstanceUID}/instances`;
    pacs.dropRequests(new RegExp(`/series/${small.seriesInstanceUID}/instances$`), 1);
    const response = await viaProxy(endpointId, path, 'application/dicom+json');
    expect(response.status).toBe(200);
    expect((await response.json()).length).toBe(small.instances.length);
    expect(upstream(path)).toBe(2);
    expect(server.output()).toMatch(new RegExp(`lost the connection before answering[^\n]*${small.seriesInstanceUID.replace(/\./g, '\\.')}/instances; asking once more`));
  });

  it('answers 502, never a truncated 200, when the PACS cuts the same answer twice', async () => {
    const path = instancePath(small, 1);
    pacs.cutAnswers(new RegExp(`/instances/${small.instances[1]!.sopInstanceUID}$`), 2);
    const response = await viaProxy(endpointId, path);
    expect(response.status).toBe(502);
    expect((await response.json()).error).toBe('PacsAnswerError');
    expect(upstream(path)).toBe(2);
    expect(server.output()).toMatch(new RegExp(`cut its answer mid-body twice[^\\n]*${small.instances[1]!.sopInstanceUID.replace(/\./g, '\\.')}[^\\n]*answering 502`));
    // The next request is not refused from memory: the failure was not kept.
    const again = await viaProxy(endpointId, path);
    expect(again.status).toBe(200);
    await again.arrayBuffer();
  });

  it('logs a cut past the first bytes of a streamed series and cuts the browser connection, never a short 200', async () => {
    const path = `studies/${large.studyInstanceUID}/series/${large.seriesInstanceUID}`;
    pacs.cutAnswers(new RegExp(`/series/${large.seriesInstanceUID}$`), 1, 9 * 1024 * 1024);
    const response = await viaProxy(endpointId, path);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    await expect.poll(() => server.output()).toMatch(new RegExp(`cut its answer mid-body after \\d+ bytes had gone to the browser[^\\n]*${large.seriesInstanceUID.replace(/\./g, '\\.')}`));
    // Uncut, the same series streams through whole.
    const whole = await viaProxy(endpointId, path);
    expect(whole.status).toBe(200);
    expect(normalised(Buffer.from(await whole.arrayBuffer()), whole.headers.get('content-type'))).toBe(await direct(path));
  });

  it('streams a series retrieve after its first 256 KiB, while an instance of the same series is read whole', async () => {
    const series = await viaProxy(endpointId, `studies/${pair.studyInstanceUID}/series/${pair.seriesInstanceUID}`);
    expect(series.headers.get('server-timing')).toMatch(/desc="stream"/);
    const seriesBody = Buffer.from(await series.arrayBuffer());
    expect(seriesBody.length).toBeGreaterThan(1024 * 1024);
    expect(normalised(seriesBody, series.headers.get('content-type'))).toBe(await direct(`studies/${pair.studyInstanceUID}/series/${pair.seriesInstanceUID}`));
    const instance = await viaProxy(endpointId, instancePath(pair, 1));
    expect(instance.headers.get('server-timing')).toMatch(/desc="upstream"/);
    expect(Number(instance.headers.get('content-length'))).toBeGreaterThan(256 * 1024);
    await instance.arrayBuffer();
  });

  it('serves an instance again from memory for the same endpoint only, and only to an authenticated caller', async () => {
    const path = instancePath(small, 2);
    const first = await viaProxy(endpointId, path);
    const firstBody = normalised(Buffer.from(await first.arrayBuffer()), first.headers.get('content-type'));
    const hitsBefore = await metric('covseg_proxy_answers_total', 'source="cache"');
    const second = await viaProxy(endpointId, path);
    expect(normalised(Buffer.from(await second.arrayBuffer()), second.headers.get('content-type'))).toBe(firstBody);
    expect(upstream(path)).toBe(1);
    expect(await metric('covseg_proxy_answers_total', 'source="cache"')).toBe(hitsBefore + 1);

    // No token: refused before the cache is looked at.
    const anonymous = await fetch(`${server.baseUrl}/api/dicomweb/${endpointId}/${path}`, { headers: { accept: MULTIPART_DICOM } });
    expect(anonymous.status).toBe(401);
    // Another endpoint (same PACS URL, its own configuration) never gets this endpoint's answer.
    const other = await createEndpoint('same-pacs-other-endpoint');
    expect((await viaProxy(other, path)).status).toBe(200);
    expect(upstream(path)).toBe(2);
    // An endpoint changed by an admin (here its timeout; it could be its credentials) asks the PACS again.
    await server.json(`/api/pacs-endpoints/${endpointId}`, { method: 'PATCH', body: JSON.stringify({ timeoutMs: 25_000 }) });
    expect((await viaProxy(endpointId, path)).status).toBe(200);
    expect(upstream(path)).toBe(3);
    // A series' metadata grows as instances arrive: never in the instance cache (and, recent answers off here, not kept at all).
    const metadata = `studies/${small.studyInstanceUID}/series/${small.seriesInstanceUID}/metadata`;
    for (let i = 0; i < 2; i++) expect((await viaProxy(endpointId, metadata, 'application/dicom+json')).status).toBe(200);
    expect(upstream(metadata)).toBe(2);
  });

  it('uses an endpoint edited or deleted by an admin at once, although it keeps endpoint records briefly', async () => {
    const moved = await createEndpoint('moved-pacs');
    const qido = `studies/${large.studyInstanceUID}/series`;
    // Read twice: the record is now in the proxy's memory (PACS_ENDPOINT_CACHE_MS, 2 s by default).
    for (let i = 0; i < 2; i++) expect((await viaProxy(moved, qido, 'application/dicom+json')).status).toBe(200);
    const before = upstream(qido);
    // Pointed at a port where nothing listens: the very next request goes there, not to the old PACS.
    const closed = await freePort();
    await server.json(`/api/pacs-endpoints/${moved}`, { method: 'PATCH', body: JSON.stringify({ baseUrl: `http://127.0.0.1:${closed}/dicom-web` }) });
    expect((await viaProxy(moved, qido, 'application/dicom+json')).status).toBe(502);
    expect(upstream(qido)).toBe(before);
    // Deleted: 404 at once.
    expect((await server.request(`/api/pacs-endpoints/${moved}`, { method: 'DELETE' })).status).toBe(204);
    expect((await viaProxy(moved, qido, 'application/dicom+json')).status).toBe(404);
  });

  it('shares one PACS request among identical requests in flight', async () => {
    const qido = `studies/${small.studyInstanceUID}/series`;
    const held = pacs.holdAnswer(new RegExp(`/studies/${small.studyInstanceUID.replace(/\./g, '\\.')}/series$`));
    const answers = Array.from({ length: 5 }, () => viaProxy(endpointId, qido, 'application/dicom+json'));
    await held.arrived;
    // The four later requests wait for the first one's answer.
    await expect.poll(() => metric('covseg_proxy_shared_waiters'), { timeout: 60_000 }).toBe(4);
    held.release();
    const bodies = await Promise.all(answers.map(async (answer) => ({ status: (await answer).status, body: await (await answer).text() })));
    expect(bodies.map((b) => b.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(bodies.map((b) => b.body)).size).toBe(1);
    expect(JSON.parse(bodies[0]!.body)[0]['0020000E'].Value[0]).toBe(small.seriesInstanceUID);
    expect(upstream(qido)).toBe(1);
    expect(await metric('covseg_proxy_shared_waiters')).toBe(0);
    // Once answered, the next identical request asks the PACS again (recent answers are off here).
    expect((await viaProxy(endpointId, qido, 'application/dicom+json')).status).toBe(200);
    expect(upstream(qido)).toBe(2);
  });
});
