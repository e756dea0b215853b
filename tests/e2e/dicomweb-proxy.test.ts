import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrthancInstance, freePort } from '../support/orthanc';
import { lidcSlicePaths } from '../support/lidc-fixture';
import { startTestServer, type TestServer } from '../support/server';

const STUDY = '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178';
const SERIES = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1';

/** A raw HTTP request, so the path reaches the server exactly as written (fetch would normalise `..`). */
function rawRequest(server: TestServer, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const url = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${server.env.COVSEG_BOOTSTRAP_ADMIN_TOKEN}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the DICOMweb proxy against a real Orthanc', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  const seriesSlices = 20;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    await orthanc.upload(lidcSlicePaths().slice(0, seriesSlices));
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
  });

  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  const root = () => `/api/dicomweb/${server.pacsEndpointId}`;

  it('answers QIDO-RS searches with the PACS DICOM JSON', async () => {
    const response = await server.request(`${root()}/studies?PatientID=LIDC-IDRI-0001`, { headers: { accept: 'application/dicom+json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/dicom+json');
    const studies = (await response.json()) as Array<Record<string, { Value: string[] }>>;
    expect(studies.map((s) => s['0020000D']!.Value[0])).toEqual([STUDY]);
  });

  it('streams a WADO-RS frame transcoded to explicit little endian with its multipart boundary', async () => {
    const metadata = (await (await server.request(`${root()}/studies/${STUDY}/series/${SERIES}/metadata`)).json()) as Array<Record<string, { Value: string[] }>>;
    expect(metadata).toHaveLength(seriesSlices);
    const sop = metadata[0]!['00080018']!.Value[0];
    const response = await server.request(`${root()}/studies/${STUDY}/series/${SERIES}/instances/${sop}/frames/1`, { headers: { accept: FRAME_ACCEPT } });
    expect(response.status).toBe(200);
    const type = response.headers.get('content-type')!;
    expect(type).toMatch(/^multipart\/related;.*boundary=/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // 512 x 512 x 2 bytes of pixels plus the part headers and boundaries.
    expect(bytes.length).toBeGreaterThan(512 * 512 * 2);
    expect(bytes.length).toBeLessThan(512 * 512 * 2 + 2048);
  });

  it('passes a whole-series retrieve through without changing a byte count', async () => {
    const path = `/studies/${STUDY}/series/${SERIES}`;
    const direct = new Uint8Array(await (await fetch(`${orthanc.dicomwebUrl}${path}`, { headers: { accept: 'multipart/related; type="application/dicom"' } })).arrayBuffer());
    const proxied = new Uint8Array(await (await server.request(`${root()}${path}`, { headers: { accept: 'multipart/related; type="application/dicom"' } })).arrayBuffer());
    expect(proxied.length).toBe(direct.length);
    expect(proxied.length).toBeGreaterThan(seriesSlices * 512 * 512 * 2);
  });

  it.each([
    ['a dot-dot segment', `studies/${STUDY}/../../../system`],
    ['an encoded slash', `studies/${STUDY}%2F..%2F..%2Fsystem`],
    ['an encoded backslash', `studies/${STUDY}%5C..%5Csystem`],
    ['a backslash', `studies\\..\\system`],
    ['an absolute URL', 'http://169.254.169.254/latest/meta-data'],
    ['a non-DICOMweb root', 'tools/find'],
    ['a host change', 'studies@evil.example/x'],
  ])('refuses %s with 400', async (_what, path) => {
    const response = await rawRequest(server, 'GET', `${root()}/${path}`);
    expect(response.status).toBe(400);
    expect(response.body).toContain('Proxying to the PACS refused');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('refuses %s with 405: the proxy only reads', async (method) => {
    const response = await rawRequest(server, method, `${root()}/studies`);
    expect(response.status).toBe(405);
  });

  it('answers 404 for an endpoint that does not exist, and 401 without a token', async () => {
    expect((await server.request('/api/dicomweb/00000000-0000-4000-8000-000000000000/studies')).status).toBe(404);
    expect((await fetch(`${server.baseUrl}${root()}/studies`)).status).toBe(401);
  });
});

describe('the DICOMweb proxy and the endpoint credentials', () => {
  let upstream: Server;
  let seen: IncomingHttpHeaders[] = [];
  let server: TestServer;
  let endpointId: string;
  const secret = 'pacs-bearer-secret-0123456789';

  beforeAll(async () => {
    const port = await freePort();
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url?.includes('redirect')) {
        res.writeHead(302, { location: 'http://evil.example/' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/dicom+json', 'set-cookie': 'pacs-session=1', 'www-authenticate': 'Basic realm="pacs"' }).end('[]');
    });
    await new Promise<void>((resolve) => upstream.listen(port, '127.0.0.1', resolve));
    server = await startTestServer();
    endpointId = (
      await server.json<{ id: string }>('/api/pacs-endpoints', {
        method: 'POST',
        body: JSON.stringify({ name: 'scripted', baseUrl: `http://127.0.0.1:${port}/dicom-web`, authType: 'bearer', secret, timeoutMs: 5000 }),
      })
    ).id;
  });

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('injects the endpoint secret upstream, never forwards the caller token, and returns only safe headers', async () => {
    seen = [];
    const response = await server.request(`/api/dicomweb/${endpointId}/studies?limit=1`, { headers: { accept: 'application/dicom+json' } });
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBe(`Bearer ${secret}`);
    expect(seen[0]!.accept).toBe('application/dicom+json');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.text()).toBe('[]');
  });

  it('turns an upstream redirect into 502 instead of sending the browser to another host', async () => {
    const response = await server.request(`/api/dicomweb/${endpointId}/studies?redirect=1`);
    expect(response.status).toBe(502);
    expect(response.headers.get('location')).toBeNull();
  });
});
