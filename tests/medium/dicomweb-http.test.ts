import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DicomwebClient, DicomwebError, DicomwebHttpError, DicomwebTimeoutError } from '@covseg/dicom';

/**
 * A tiny real HTTP server that scripts answers: it checks what the client puts on the wire
 * (Authorization, retries, Retry-After, timeouts). Orthanc answers the PACS behaviour in dicomweb.test.ts.
 */
type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('DicomwebClient on the wire', () => {
  let server: Server;
  let baseUrl: string;
  let handler: Handler;
  let requests: Array<{ method: string; url: string; authorization: string | undefined; at: number }>;

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, at: performance.now() });
      request.resume();
      request.on('end', () => handler(request, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests = [];
    handler = (_request, response) => response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
  });

  it('sends HTTP basic credentials and never puts the password in an error message', async () => {
    handler = (_request, response) => response.writeHead(401).end();
    const client = new DicomwebClient({ baseUrl, auth: { type: 'basic', username: 'alice', password: 's3cret-pw' }, retries: 0 });
    const error = await client.searchStudies().catch((e: unknown) => e);
    expect(requests[0].authorization).toBe(`Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`);
    expect(error).toMatchObject({ name: 'DicomwebHttpError', status: 401, transient: false });
    expect((error as Error).message).toBe(`QIDO-RS failed with status 401: GET ${baseUrl}/studies`);
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toMatch(/s3cret-pw|czNjcmV0LXB3/);
  });

  it('keeps QIDO query values such as PatientName out of error messages', async () => {
    handler = (_request, response) => response.writeHead(400).end();
    const error = await new DicomwebClient({ baseUrl, retries: 0 }).searchStudies({ PatientName: 'Doe^Jane', PatientID: 'MRN-7' }).catch((e: unknown) => e);
    expect(requests[0].url).toBe('/dicom-web/studies?PatientName=Doe%5EJane&PatientID=MRN-7');
    expect((error as Error).message).toBe(`QIDO-RS failed with status 400: GET ${baseUrl}/studies`);
  });

  it('sends a bearer token', async () => {
    const client = new DicomwebClient({ baseUrl, auth: { type: 'bearer', token: 'tok-123' } });
    await client.searchStudies({ PatientID: 'X', includefield: ['00081030', 'StudyDate'] });
    expect(requests[0]).toMatchObject({ authorization: 'Bearer tok-123', url: '/dicom-web/studies?PatientID=X&includefield=00081030&includefield=StudyDate' });
  });

  it('sends no Authorization header without auth', async () => {
    await new DicomwebClient({ baseUrl }).searchStudies();
    expect(requests[0].authorization).toBeUndefined();
  });

  it('refuses a base URL that embeds credentials, without echoing them', () => {
    const create = () => new DicomwebClient({ baseUrl: 'http://bob:hunter2@127.0.0.1:1/dicom-web' });
    expect(create).toThrow(DicomwebError);
    expect(create).toThrow(/must not embed credentials/);
    expect(create).not.toThrow(/hunter2/);
  });

  it('retries a read after 503 and succeeds on the next answer', async () => {
    let calls = 0;
    handler = (_request, response) => {
      calls++;
      if (calls < 3) response.writeHead(503).end();
      else response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[{"0020000D":{"vr":"UI","Value":["1.2.3"]}}]');
    };
    const client = new DicomwebClient({ baseUrl, retries: 3, backoffMs: 20 });
    const studies = await client.searchStudies();
    expect(studies).toHaveLength(1);
    expect(requests).toHaveLength(3);
  });

  it('gives up after its retries with a transient HTTP error', async () => {
    handler = (_request, response) => response.writeHead(502).end();
    const error = await new DicomwebClient({ baseUrl, retries: 2, backoffMs: 10 }).searchStudies().catch((e: unknown) => e);
    expect(requests).toHaveLength(3);
    expect(error).toBeInstanceOf(DicomwebHttpError);
    expect(error).toMatchObject({ status: 502, transient: true });
  });

  it('waits as long as a 429 Retry-After asks before retrying', async () => {
    let calls = 0;
    handler = (_request, response) => {
      calls++;
      if (calls === 1) response.writeHead(429, { 'Retry-After': '1' }).end();
      else response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
    };
    await new DicomwebClient({ baseUrl, retries: 1, backoffMs: 1 }).searchStudies();
    expect(requests).toHaveLength(2);
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 404, which no retry can fix', async () => {
    handler = (_request, response) => response.writeHead(404).end();
    await expect(new DicomwebClient({ baseUrl, retries: 3, backoffMs: 1 }).retrieveSeriesMetadata('1.2', '3.4')).rejects.toMatchObject({ status: 404, transient: false });
    expect(requests).toHaveLength(1);
  });

  it('sends a STOW-RS body as its parts with their total Content-Length, not chunk-encoded', async () => {
    let headers: IncomingMessage['headers'] = {};
    handler = (request, response) => {
      headers = request.headers;
      response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('{}');
    };
    const parts = [new Uint8Array(3_000_001).fill(7), new Uint8Array([1, 2, 3])];
    await new DicomwebClient({ baseUrl }).store(parts, '1.2.3');
    const boundary = /boundary=([^;]+)/.exec(String(headers['content-type']))![1]!;
    // Per part: delimiter line, Content-Type line, blank line, the bytes, CRLF; then the closing delimiter.
    const framing = parts.length * (`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`.length + 2) + `--${boundary}--\r\n`.length;
    expect(headers['content-length']).toBe(String(3_000_004 + framing));
    expect(headers['transfer-encoding']).toBeUndefined();
  });

  it('does not retry a STOW-RS that failed with 503', async () => {
    handler = (_request, response) => response.writeHead(503).end();
    const error = await new DicomwebClient({ baseUrl, retries: 3, backoffMs: 1 }).store([new Uint8Array([1, 2, 3])]).catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect((error as Error).message).toBe(`STOW-RS failed with status 503: POST ${baseUrl}/studies`);
    expect(error).toMatchObject({ transient: true });
  });

  it('times out a server that stalls mid-body, retries, and reports a transient timeout', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/dicom+json' });
      response.write('['); // then never finishes
    };
    const started = performance.now();
    const error = await new DicomwebClient({ baseUrl, timeoutMs: 150, retries: 1, backoffMs: 1 }).searchStudies().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomwebTimeoutError);
    expect(error).toMatchObject({ transient: true, timeoutMs: 150, message: `QIDO-RS timed out after 150 ms: GET ${baseUrl}/studies` });
    expect(requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('streams a series part by part, and after a stall mid-series retries from the start with a reset consumer', async () => {
    const part = (text: string) => `--b1\r\nContent-Type: application/dicom\r\n\r\n${text}\r\n`;
    handler = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b1' });
      if (requests.length === 1) response.write(part('one') + part('two')); // then stalls
      else response.end(part('one') + part('two') + part('three') + '--b1--\r\n');
    };
    const events: string[] = [];
    const consumer = { add: (bytes: Uint8Array) => void events.push(Buffer.from(bytes).toString('latin1')), reset: () => void events.push('reset') };
    const received = await new DicomwebClient({ baseUrl, timeoutMs: 1000, retries: 1, backoffMs: 1 }).streamSeries('1.2', '1.2.3', consumer);
    expect(received).toBe(3);
    // 'two' of the stalled answer is not complete: a part ends only when the next delimiter arrives.
    expect(events).toEqual(['one', 'reset', 'one', 'two', 'three']);
    expect(requests).toHaveLength(2);
  });

  it('lets a slow series stream take longer than the timeout (1.5 s against 1 s) as long as bytes keep coming', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b1' });
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ < 15) response.write(`--b1\r\n\r\npart${sent}\r\n`);
        else {
          clearInterval(timer);
          response.end('--b1--\r\n');
        }
      }, 100);
    };
    const received = await new DicomwebClient({ baseUrl, timeoutMs: 1000, retries: 0 }).streamSeries('1.2', '1.2.3', { add: () => undefined, reset: () => undefined });
    expect(received).toBe(15);
  });

  it('rejects a WADO-RS answer that is not multipart', async () => {
    handler = (_request, response) => response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    await expect(new DicomwebClient({ baseUrl }).retrieveSeries('1.2', '3.4')).rejects.toMatchObject({
      name: 'DicomwebResponseError',
      transient: false,
      message: `WADO-RS answered application/json instead of multipart/related: GET ${baseUrl}/studies/1.2/series/3.4`,
    });
  });
});
