import { All, Controller, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { DicomwebProxyService, type ProxyStageTimings } from '../services/dicomweb-proxy.service';
import { receivedAt } from '../../core/http/request-timing.middleware';
import { ProxyPathRejectedError } from '../viewer.errors';

const PREFIX = '/api/dicomweb/';

@ApiTags('viewer')
@Controller()
export class DicomwebProxyController {
  constructor(private readonly proxy: DicomwebProxyService) {}

  /**
   * `GET /api/dicomweb/:endpointId/<QIDO or WADO path>`: forwarded to that endpoint with its credentials,
   * streamed back. The raw URL is read (not the decoded params) so encoded separators are caught.
   */
  @All('api/dicomweb/:endpointId/*path')
  @ApiOperation({ summary: 'Read-only DICOMweb proxy (QIDO-RS/WADO-RS) to one configured PACS endpoint; the PACS credentials stay on the server' })
  @ApiParam({ name: 'endpointId', description: 'PACS endpoint id' })
  @ApiParam({ name: 'path', description: 'DICOMweb path below the endpoint root, e.g. studies/<uid>/series/<uid>/metadata' })
  async forward(@Req() request: Request, @Res() response: Response): Promise<void> {
    const started = performance.now();
    const { endpointId, rawPath, rawQuery } = splitProxyUrl(request.originalUrl);
    const aborted = new AbortController();
    // Only a browser that left before the whole answer went out aborts (an abort builds a DOMException and
    // wakes every listener: a few tens of µs per answer on the busiest route, for nothing once it is sent).
    response.on('close', () => {
      if (!response.writableFinished) aborted.abort();
    });
    const timings: ProxyStageTimings = {};
    const forwarded = await this.proxy.forward({ method: request.method, endpointId, rawPath, rawQuery, accept: request.headers.accept, via: request.headers.via, signal: aborted.signal, timings });
    const answer = request.method === 'GET' ? await this.proxy.encodedFor(forwarded, request.headers['accept-encoding']) : forwarded;
    // Server-Timing (W3C): how long the proxy took until it could answer (endpoint lookup and the PACS,
    // or the cache), and where the answer came from; shown by browsers' devtools, read by bench/load.bench.ts.
    response.status(answer.status).set(answer.headers).set('server-timing', serverTiming(performance.now() - started, answer.source, timings, receivedAt(request), started));
    if (answer.body) {
      response.end(request.method === 'HEAD' ? undefined : answer.body);
      return;
    }
    if (!answer.stream || request.method === 'HEAD') {
      await answer.stream?.cancel();
      response.end();
      return;
    }
    const body = Readable.fromWeb(answer.stream as NodeReadableStream<Uint8Array>);
    // An upstream failure mid-body cannot change the status any more (the service logged it); cut the
    // connection so the browser sees a truncated answer rather than a silently short one.
    body.on('error', () => response.destroy());
    body.pipe(response);
  }
}

/**
 * The Server-Timing header of a proxied answer: `proxy` (the route's own time, with where the answer came
 * from), `pre` (middleware, authentication and validation before the route ran), and the stages the
 * route ran: `endpoint` (the endpoint's record), `pacs` (until the PACS's headers), `body` (reading it whole).
 */
export function serverTiming(proxyMs: number, source: string, timings: ProxyStageTimings, arrivedAt: number | undefined, routeStartedAt: number): string {
  const parts = [`proxy;dur=${proxyMs.toFixed(1)};desc="${source}"`];
  if (arrivedAt !== undefined) parts.push(`pre;dur=${(routeStartedAt - arrivedAt).toFixed(1)}`);
  if (timings.endpointMs !== undefined) parts.push(`endpoint;dur=${timings.endpointMs.toFixed(1)}`);
  if (timings.pacsHeadersMs !== undefined) parts.push(`pacs;dur=${timings.pacsHeadersMs.toFixed(1)}`);
  if (timings.pacsBodyMs !== undefined) parts.push(`body;dur=${timings.pacsBodyMs.toFixed(1)}`);
  return parts.join(', ');
}

/** Splits `/api/dicomweb/<id>/<path>?<query>` without decoding anything. */
export function splitProxyUrl(originalUrl: string): { endpointId: string; rawPath: string; rawQuery: string } {
  const queryAt = originalUrl.indexOf('?');
  const pathPart = queryAt < 0 ? originalUrl : originalUrl.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : originalUrl.slice(queryAt + 1);
  if (!pathPart.startsWith(PREFIX)) throw new ProxyPathRejectedError('Proxying to the PACS refused: unexpected URL prefix');
  const rest = pathPart.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new ProxyPathRejectedError('Proxying to the PACS refused: no endpoint id');
  const endpointId = rest.slice(0, slash);
  if (!/^[0-9a-f-]{36}$/i.test(endpointId)) throw new ProxyPathRejectedError('Proxying to the PACS refused: the endpoint id is not a UUID');
  return { endpointId, rawPath: rest.slice(slash + 1), rawQuery };
}
