import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DicomwebClient, DicomwebHttpError, type SeriesConsumer } from '@covseg/dicom';
import { loadConfig } from '../../apps/server/src/core/repositories/config.repository';
import { SeriesRetrieveService } from '../../apps/server/src/pacs/services/series-retrieve.service';

/**
 * SeriesRetrieveService's fallback rules against a real HTTP server that scripts what a PACS answers to
 * the transcoded ask (statuses and broken bodies Orthanc does not produce on demand); the happy path and
 * Orthanc's own refusal are in retrieve-transfer-syntax.test.ts.
 */
const fixtures = join(__dirname, '../fixtures/transfer-syntaxes');
const JPEG_LOSSLESS = new Uint8Array(readFileSync(join(fixtures, 'cornerstone-ctimage/JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm')));
const JPEG_BASELINE = new Uint8Array(readFileSync(join(fixtures, 'cornerstone-ctimage/JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm')));
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const STUDY = '1.2.3';
const SERIES = '1.2.3.4';
const BOUNDARY = 'covseg-test-boundary';

type TranscodedAnswer = { status: number } | 'cut';

function multipart(parts: Uint8Array[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(part), Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

describe('choosing the transfer syntax of a series retrieve, and falling back', () => {
  let server: Server;
  let baseUrl: string;
  let stored: Uint8Array;
  let transcoded: TranscodedAnswer;
  let asked: string[];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      const url = request.url!;
      const syntax = /transfer-syntax=([^;\s]+)/.exec(request.headers.accept ?? '')?.[1] ?? '';
      if (url.startsWith(`/dicom-web/studies/${STUDY}/series/${SERIES}/instances?`)) {
        asked.push('qido');
        response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end(JSON.stringify([{ '00080018': { vr: 'UI', Value: ['1.2.3.4.5'] } }]));
        return;
      }
      const multipartHead = { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` };
      if (url === `/dicom-web/studies/${STUDY}/series/${SERIES}/instances/1.2.3.4.5`) {
        asked.push(`instance ${syntax}`);
        response.writeHead(200, multipartHead).end(multipart([stored]));
        return;
      }
      if (url === `/dicom-web/studies/${STUDY}/series/${SERIES}`) {
        asked.push(`series ${syntax}`);
        if (syntax === '*') return void response.writeHead(200, multipartHead).end(multipart([stored, stored]));
        if (transcoded === 'cut') {
          // Headers and the first part, then the connection drops: the body ends without its closing delimiter.
          const body = multipart([stored, stored]);
          response.writeHead(200, multipartHead);
          response.write(body.subarray(0, Math.floor(body.length * 0.75)), () => response.destroy());
          return;
        }
        response.writeHead(transcoded.status, { 'Content-Type': 'application/json' }).end('{"HttpError":"cannot transcode"}');
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    asked = [];
    stored = JPEG_LOSSLESS;
  });

  const client = () => new DicomwebClient({ baseUrl, retries: 2, backoffMs: 1 });
  const consumer = () => {
    const received = { instances: 0, resets: 0 };
    const sink: SeriesConsumer = {
      add: () => void received.instances++,
      reset: () => {
        received.instances = 0;
        received.resets++;
      },
    };
    return { received, sink };
  };
  const service = (mode: 'auto' | 'as-stored' = 'auto') => new SeriesRetrieveService({ ...loadConfig({}), retrieveTransferSyntax: mode });

  it('falls back to as stored when the PACS refuses (406), and does not ask that endpoint again for that syntax', async () => {
    transcoded = { status: 406 };
    const retrieval = service();
    const first = consumer();
    const report = await retrieval.streamSeries(client(), 'endpoint-406', STUDY, SERIES, first.sink);
    expect(report).toEqual({ requested: '*', storedTransferSyntaxUID: '1.2.840.10008.1.2.4.70', transcodeFailed: 'status 406', instances: 2 });
    expect(first.received).toEqual({ instances: 2, resets: 1 });
    // Asked once, not retried: a refusal is an answer.
    expect(asked).toEqual(['qido', 'instance *', `series ${EXPLICIT_LE}`, 'series *']);

    asked = [];
    expect(await retrieval.streamSeries(client(), 'endpoint-406', STUDY, SERIES, consumer().sink)).toEqual({ requested: '*', storedTransferSyntaxUID: '1.2.840.10008.1.2.4.70', instances: 2 });
    expect(asked).toEqual(['qido', 'instance *', 'series *']);
    // Another endpoint is asked.
    asked = [];
    await retrieval.streamSeries(client(), 'endpoint-other', STUDY, SERIES, consumer().sink);
    expect(asked).toContain(`series ${EXPLICIT_LE}`);
  });

  it('falls back on 503 (busy) but asks again next time', async () => {
    transcoded = { status: 503 };
    const retrieval = service();
    expect((await retrieval.streamSeries(client(), 'endpoint-503', STUDY, SERIES, consumer().sink)).transcodeFailed).toBe('status 503');
    asked = [];
    await retrieval.streamSeries(client(), 'endpoint-503', STUDY, SERIES, consumer().sink);
    expect(asked).toEqual(['qido', 'instance *', `series ${EXPLICIT_LE}`, 'series *']);
  });

  it('falls back when the transcoded answer breaks off mid-body, after dropping what arrived', async () => {
    transcoded = 'cut';
    const { received, sink } = consumer();
    const report = await service().streamSeries(client(), 'endpoint-cut', STUDY, SERIES, sink);
    expect(report.requested).toBe('*');
    expect(report.transcodeFailed).toMatch(/^Dicomweb(IncompleteBody|Network)Error$/);
    expect(received).toEqual({ instances: 2, resets: 1 });
  });

  it('does not fall back on a 404: the series as stored would be missing just the same', async () => {
    transcoded = { status: 404 };
    const error = await service()
      .streamSeries(client(), 'endpoint-404', STUDY, SERIES, consumer().sink)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomwebHttpError);
    expect((error as DicomwebHttpError).status).toBe(404);
    expect(asked).toEqual(['qido', 'instance *', `series ${EXPLICIT_LE}`]);
  });

  it('retrieves a lossy JPEG series as stored: another decoder could round differently', async () => {
    stored = JPEG_BASELINE;
    transcoded = { status: 200 };
    expect(await service().streamSeries(client(), 'endpoint-lossy', STUDY, SERIES, consumer().sink)).toEqual({
      requested: '*',
      storedTransferSyntaxUID: '1.2.840.10008.1.2.4.50',
      instances: 2,
    });
    expect(asked).toEqual(['qido', 'instance *', 'series *']);
  });

  it('with RETRIEVE_TRANSFER_SYNTAX=as-stored neither looks up the stored syntax nor asks for another', async () => {
    transcoded = { status: 200 };
    expect(await service('as-stored').streamSeries(client(), 'endpoint-as-stored', STUDY, SERIES, consumer().sink)).toEqual({ requested: '*', instances: 2 });
    expect(asked).toEqual(['series *']);
  });
});
