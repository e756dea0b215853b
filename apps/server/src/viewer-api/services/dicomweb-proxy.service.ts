import { ConflictException, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { DicomwebIncompleteBodyError, DicomwebNetworkError, DicomwebResponseTooLargeError, DicomwebTimeoutError, type RawResponse } from '@covseg/dicom';
import { pacsFailure } from '../../pacs/pacs.errors';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import type { PacsEndpointRecord } from '../../pacs/repositories/pacs-endpoint.repository';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { ProxyClientGoneError, ProxyMethodNotAllowedError } from '../viewer.errors';
import { MetricsService } from '../../metrics/services/metrics.service';
import { joinUnderBase, requireSafeProxyPath } from './proxy-path';
import { PacsStoreEvents } from '../../pacs/services/pacs-store-events';
import { APP_CONFIG, type AppConfig } from '../../core/repositories/config.repository';
import { AnswerCompressor, isCompressibleType } from './answer-encoding';
import { CachedAnswer, isInstanceResource, ProxyAnswerCache, RecentAnswerCache, scopeOf } from './proxy-answer-cache';
import { isBulkRetrieve } from './dicomweb-resource';
import { AnswerStalledError, concatChunks, keepTail, readPrefix, resumeStream, whyIncomplete } from './upstream-answer';

/** Response headers the proxy passes on. Never Set-Cookie, WWW-Authenticate or Location (they belong to the PACS). */
const SAFE_HEADERS = ['content-type', 'content-length', 'etag', 'last-modified'];

/**
 * Answers up to this size are read whole before the browser gets a byte: a QIDO answer, a series'
 * metadata, an instance or a few frames. Only then can a cut answer be asked for again, or one answer be
 * shared by identical requests. Larger answers (a whole series) stream through after this prefix.
 */
export const WHOLE_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * What a study or series retrieve (see isBulkRetrieve) reads before the browser gets a byte: the viewer
 * parses a series as it streams, and holding 8 MiB of it first kept the viewer's series stream waiting
 * 0.4-0.9 s at load 12-24 (the proxy's Server-Timing on the 70 MB LIDC series retrieve; 0.05-0.25 s with this limit).
 * A bulk answer this small (a one-object SEG series) is still read whole, retried and shared.
 */
export const BULK_ANSWER_BYTES = 256 * 1024;

/** Where an answer came from (the `source` label of covseg_proxy_answers_total). */
export type ProxyAnswerSource = 'upstream' | 'cache' | 'recent' | 'coalesced' | 'stream';

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  /** The whole answer, read and checked before anything is sent; `stream` is then null. */
  body: Uint8Array | null;
  /** An answer too large to hold: streamed, so a failure past its first bytes can only cut the connection. */
  stream: ReadableStream<Uint8Array> | null;
  source: ProxyAnswerSource;
}

type Fetched = { whole: CachedAnswer } | { streamed: ProxiedResponse };

/** One upstream request that identical requests arriving meanwhile wait for instead of sending their own. */
interface Flight {
  answer: Promise<Fetched>;
  /** Callers still waiting; the upstream request is aborted when the last one leaves. */
  waiters: number;
  abort: AbortController;
}

interface ForwardInput {
  method: string;
  endpointId: string;
  rawPath: string;
  rawQuery: string;
  accept: string | undefined;
  /** The request's Via chain, passed on with our hop appended (loop detection across servers). */
  via?: string | string[];
  signal: AbortSignal;
  /** Filled in as the stages pass (ms), for the Server-Timing header. */
  timings?: ProxyStageTimings;
}

/** How long each stage of one proxied GET took (ms); a stage this request did not run stays undefined. */
export interface ProxyStageTimings {
  /** Reading the endpoint's record (base URL, credentials). */
  endpointMs?: number;
  /** From sending the request to the PACS until its status and headers arrived. */
  pacsHeadersMs?: number;
  /** Reading the answer's body (whole answers only; a streamed one is read as the browser takes it). */
  pacsBodyMs?: number;
}

/**
 * The browser's read-only window on a configured PACS: checks the path, sends it through the PACS
 * gateway (credentials added server-side, no redirects, capped body) and hands back the answer with only
 * safe headers. The PACS's own status passes through (its 404 stays a 404).
 *
 * So that a viewer is served while jobs load the PACS:
 * - answers up to WHOLE_ANSWER_BYTES (BULK_ANSWER_BYTES for a study or series retrieve) are read whole and checked first; one cut mid-body (a connection
 *   closed early, a short Content-Length, a multipart without its closing boundary) is logged and asked
 *   for once more, and a second cut answers 502, never a truncated 200; a connection lost before the
 *   answer's headers is also asked for once more;
 * - identical GETs (same endpoint as configured now, path, query and Accept) in flight at the same
 *   time share one upstream request;
 * - whole answers of one instance (immutable: its SOP Instance UID names one object) are kept in a
 *   byte-bounded cache per endpoint (see ProxyAnswerCache for why this never crosses users' rights);
 * - every other whole answer (QIDO, metadata) answers identical GETs for PROXY_RECENT_ANSWER_MS
 *   (RecentAnswerCache); a store by this process into a study drops that study's answers at once.
 * Logs name the endpoint id and the path (UIDs only), never the query, which can carry PHI.
 */
@Injectable()
export class DicomwebProxyService implements OnModuleDestroy {
  private readonly logger = new Logger(DicomwebProxyService.name);
  private readonly flights = new Map<string, Flight>();
  private readonly unsubscribe: () => void;
  private readonly compressor: AnswerCompressor;

  constructor(
    private readonly endpoints: PacsEndpointService,
    private readonly gateway: PacsGateway,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    private readonly cache: ProxyAnswerCache,
    private readonly recent: RecentAnswerCache,
    storeEvents: PacsStoreEvents,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.compressor = new AnswerCompressor(config.proxyGzipLevel);
    // Our own SEG or correction stored into a study: its series list and metadata change now.
    this.unsubscribe = storeEvents.onStored((endpointId, study) => this.recent.dropStudy(endpointId, study));
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  async forward(input: ForwardInput): Promise<ProxiedResponse> {
    if (input.method !== 'GET' && input.method !== 'HEAD') throw new ProxyMethodNotAllowedError(input.method);
    const { path, query } = requireSafeProxyPath(input.rawPath, input.rawQuery);
    const lookupStarted = performance.now();
    const record = await this.endpoints.getRecentRecordOrFail(input.endpointId);
    if (input.timings) input.timings.endpointMs = performance.now() - lookupStarted;
    if (record.baseUrl === null) throw new ConflictException(`PACS endpoint ${record.id} has no DICOMweb base URL (it is reached over DIMSE only)`);
    // Re-checks the joined URL stays under the endpoint's base URL (same origin, path prefix).
    joinUnderBase(record.baseUrl, path, query);
    if (input.method === 'HEAD') return this.head(record, path, query, input);

    // The endpoint's last change is part of the key: new credentials or a new base URL never get an old answer.
    const key = JSON.stringify([record.id, record.updatedAt, path, query, input.accept ?? '']);
    // An instance never changes: kept for minutes. Anything else (QIDO, metadata) for a second or two.
    const memory = isInstanceResource(path) ? this.cache : this.recent;
    const cached = memory.get(key);
    if (cached) return this.answered(cached, memory === this.cache ? 'cache' : 'recent');

    // Coalesced only with requests that arrived through the same proxies (Via), so that every request
    // reaches the PACS with its own chain and a loop through several servers is still caught.
    const flightKey = JSON.stringify([key, input.via ?? null]);
    const joined = this.flights.get(flightKey);
    if (joined) {
      this.metrics.proxySharedWaiters.inc();
      const fetched = await this.wait(joined, input.signal, path).finally(() => this.metrics.proxySharedWaiters.dec());
      if ('whole' in fetched) return this.answered(fetched.whole, 'coalesced');
      // Too large to share: this caller streams its own copy.
      return this.fetchOwn(record, path, query, input);
    }
    const flight: Flight = { answer: undefined as unknown as Promise<Fetched>, waiters: 0, abort: new AbortController() };
    // Noted before the request leaves: an answer read while our own store went into its study is not kept.
    const generation = memory.generation;
    flight.answer = this.fetch(record, path, query, input.accept, input.via, flight.abort.signal, input.timings);
    this.flights.set(flightKey, flight);
    void flight.answer.then(
      (fetched) => {
        if (this.flights.get(flightKey) === flight) this.flights.delete(flightKey);
        if ('whole' in fetched) memory.set(key, fetched.whole, scopeOf(record.id, path), generation);
      },
      () => {
        if (this.flights.get(flightKey) === flight) this.flights.delete(flightKey);
      },
    );
    const fetched = await this.wait(flight, input.signal, path, true);
    return 'whole' in fetched ? this.answered(fetched.whole, 'upstream') : fetched.streamed;
  }

  /**
   * The answer as this caller should get it: with PROXY_GZIP_LEVEL >= 1, a whole JSON answer gzipped when
   * the caller accepts gzip (made once per answer and shared, see AnswerCompressor). A series' metadata is
   * ~10x smaller so, for browsers behind a slow link; off by default (the caller's inflating costs it CPU).
   */
  async encodedFor(answer: ProxiedResponse, acceptEncoding: string | string[] | undefined): Promise<ProxiedResponse> {
    if (!answer.body || !isCompressibleType(answer.headers['content-type']) || this.compressor.disabled) return answer;
    const headers: Record<string, string> = { ...answer.headers, vary: 'Accept-Encoding' };
    const gzipped = await this.compressor.gzipFor(answer.body, answer.headers['content-type'], acceptEncoding);
    if (!gzipped) return { ...answer, headers };
    // Another representation: a strong validator of the identity body may not be reused (RFC 9110 §8.8.3).
    if (headers.etag && !headers.etag.startsWith('W/')) headers.etag = `W/${headers.etag}`;
    return { ...answer, headers: { ...headers, 'content-encoding': 'gzip', 'content-length': String(gzipped.length) }, body: gzipped };
  }

  /**
   * Waits for a flight's answer as one of its callers. A caller whose browser goes away leaves; when
   * the last one has left, the upstream request is aborted. The leader (`owner`) stays tied to the
   * upstream request while an answer too large to share streams to it.
   */
  private async wait(flight: Flight, signal: AbortSignal, path: string, owner = false): Promise<Fetched> {
    if (signal.aborted) throw new ProxyClientGoneError(`Proxying GET ${path}`);
    flight.waiters += 1;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      signal.removeEventListener('abort', leave);
      flight.waiters -= 1;
      if (flight.waiters === 0) flight.abort.abort(signal.reason);
    };
    signal.addEventListener('abort', leave, { once: true });
    const gone = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new ProxyClientGoneError(`Proxying GET ${path}`)), { once: true }));
    gone.catch(() => undefined);
    try {
      const fetched = await Promise.race([flight.answer, gone]);
      // A whole answer is in memory: nobody needs the upstream connection any more. A streamed one
      // stays tied to its owner's browser.
      if (!owner || 'whole' in fetched) {
        signal.removeEventListener('abort', leave);
        left = true;
        flight.waiters -= 1;
      }
      return fetched;
    } catch (error) {
      leave();
      throw error;
    }
  }

  /** A GET nobody shares (an identical request's answer was too large to share). */
  private async fetchOwn(record: PacsEndpointRecord, path: string, query: string, input: ForwardInput): Promise<ProxiedResponse> {
    const fetched = await this.fetch(record, path, query, input.accept, input.via, input.signal, input.timings);
    return 'whole' in fetched ? this.answered(fetched.whole, 'upstream') : fetched.streamed;
  }

  /**
   * One GET to the PACS, read whole when it fits WHOLE_ANSWER_BYTES. A 2xx answer cut mid-body is asked
   * for once more: the browser has not seen a byte of it yet, and a GET may be repeated (RFC 9110 §9.2.2).
   */
  private async fetch(
    record: PacsEndpointRecord,
    path: string,
    query: string,
    accept: string | undefined,
    via: string | string[] | undefined,
    signal: AbortSignal,
    timings: ProxyStageTimings = {},
  ): Promise<Fetched> {
    const what = `Proxying GET ${path}`;
    for (let attempt = 1; ; attempt++) {
      let upstream: RawResponse;
      const sent = performance.now();
      try {
        upstream = await this.gateway.open(record, { method: 'GET', path: `/${path}`, query, headers: accept ? { accept } : {}, signal }, via);
      } catch (error) {
        // A connection lost before any answer (a keep-alive connection the PACS closed as it was
        // reused, a reset): nothing reached the browser, and a GET may be sent again. Timeouts are not
        // repeated: the person waiting has waited long enough.
        if (attempt === 1 && error instanceof DicomwebNetworkError && !signal.aborted) {
          this.metrics.pacsError(record.id, 'proxy:connection-lost');
          this.logger.warn(`PACS endpoint ${record.id} lost the connection before answering (${reasonOf(error.cause ?? error)}): GET ${path}; asking once more`);
          continue;
        }
        return this.failed(record, error, what, signal);
      }
      const headersAt = performance.now();
      timings.pacsHeadersMs = headersAt - sent;
      if (upstream.status >= 500 || upstream.status === 429) this.metrics.pacsError(record.id, `proxy:http-${upstream.status}`);
      const headers = safeHeaders(upstream.headers);
      if (!upstream.body) return { whole: { status: upstream.status, headers, body: new Uint8Array(0) } };
      const prefix = await readPrefix(upstream.body, isBulkRetrieve(path) ? BULK_ANSWER_BYTES : WHOLE_ANSWER_BYTES, record.timeoutMs);
      timings.pacsBodyMs = performance.now() - headersAt;
      if (!prefix.complete && prefix.error === undefined) {
        const stream = this.checkedStream(resumeStream(prefix.chunks, prefix.reader), upstream.status < 300 ? upstream.headers : undefined, record, path, signal);
        return { streamed: { status: upstream.status, headers, body: null, stream, source: 'stream' } };
      }
      if (signal.aborted) throw new ProxyClientGoneError(what);
      if (prefix.error instanceof DicomwebResponseTooLargeError) return this.failed(record, prefix.error, what, signal);
      if (prefix.error instanceof AnswerStalledError) {
        this.logger.warn(`PACS endpoint ${record.id} stalled mid-body (${prefix.error.message}): GET ${path}; answering 504`);
        return this.failed(record, new DicomwebTimeoutError(`${what}: the PACS stalled mid-body (${prefix.error.message})`, record.timeoutMs, { cause: prefix.error }), what, signal);
      }
      const body = concatChunks(prefix.chunks, prefix.bytes);
      const why = prefix.error !== undefined ? `the connection failed after ${prefix.bytes} bytes: ${reasonOf(prefix.error)}` : upstream.status < 300 ? whyIncomplete(body, upstream.headers) : undefined;
      if (why === undefined) {
        // Our own length: the buffer is what goes out (fetch may have undone a Content-Encoding).
        headers['content-length'] = String(body.length);
        return { whole: { status: upstream.status, headers, body } };
      }
      this.metrics.proxyUpstreamCut(attempt === 1 ? 'retried' : 'failed');
      this.metrics.pacsError(record.id, 'proxy:cut-mid-body');
      if (attempt === 1) {
        this.logger.warn(`PACS endpoint ${record.id} cut its answer mid-body (${why}): GET ${path}; asking once more`);
        continue;
      }
      this.logger.warn(`PACS endpoint ${record.id} cut its answer mid-body twice (${why}): GET ${path}; answering 502`);
      return this.failed(record, new DicomwebIncompleteBodyError(`${what}: the PACS cut its answer twice (${why})`, { transient: false }), what, signal);
    }
  }

  /** HEAD: headers only, nothing to share or check. */
  private async head(record: PacsEndpointRecord, path: string, query: string, input: ForwardInput): Promise<ProxiedResponse> {
    const upstream = await this.gateway
      .open(record, { method: 'HEAD', path: `/${path}`, query, headers: input.accept ? { accept: input.accept } : {}, signal: input.signal }, input.via)
      .catch((error: unknown) => this.failed(record, error, `Proxying HEAD ${path}`, input.signal));
    await upstream.body?.cancel().catch(() => undefined);
    return { status: upstream.status, headers: safeHeaders(upstream.headers), body: null, stream: null, source: 'upstream' };
  }

  private answered(answer: CachedAnswer, source: ProxyAnswerSource): ProxiedResponse {
    this.metrics.proxyAnswer(source);
    return { status: answer.status, headers: { ...answer.headers }, body: answer.body, stream: null, source };
  }

  private failed(record: PacsEndpointRecord, error: unknown, what: string, signal: AbortSignal): never {
    if (signal.aborted) throw new ProxyClientGoneError(what);
    // /metrics: PACS errors by endpoint (the kind is the error class: a bounded label set).
    this.metrics.pacsError(record.id, `proxy:${error instanceof Error ? error.name : 'unknown'}`);
    // 504 for a timeout, 502 for an unreachable PACS, a redirect or a cut answer; anything else is our bug (500).
    throw pacsFailure(error, what);
  }

  /**
   * The rest of a large answer. A failure past the first bytes is logged and errors the stream (the
   * controller then cuts the browser's connection). A 2xx answer that ends visibly incomplete (checked
   * on its tail, like whole answers: Node's fetch ends a cut chunked body without an error) errors it
   * too, so the browser never takes a short answer for a whole one.
   */
  private checkedStream(stream: ReadableStream<Uint8Array>, okHeaders: Headers | undefined, record: PacsEndpointRecord, path: string, signal: AbortSignal): ReadableStream<Uint8Array> {
    this.metrics.proxyAnswer('stream');
    let sent = 0;
    let tail: Uint8Array = new Uint8Array(0);
    const reader = stream.getReader();
    const cut = (why: string) => {
      this.metrics.proxyUpstreamCut('streaming');
      this.metrics.pacsError(record.id, 'proxy:cut-mid-body');
      this.logger.warn(`PACS endpoint ${record.id} cut its answer mid-body after ${sent} bytes had gone to the browser (${why}): GET ${path}; closing the browser's connection`);
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!signal.aborted) cut(reasonOf(error));
          return controller.error(error);
        }
        if (!chunk.done) {
          sent += chunk.value.length;
          tail = keepTail(tail, chunk.value);
          return controller.enqueue(chunk.value);
        }
        const why = okHeaders ? whyIncomplete(tail, okHeaders, sent) : undefined;
        if (why === undefined) return controller.close();
        cut(why);
        controller.error(new DicomwebIncompleteBodyError(`Proxying GET ${path}: the PACS answer ended early (${why})`, { transient: false }));
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
}

function safeHeaders(upstream: Headers): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of SAFE_HEADERS) {
    const value = upstream.get(name);
    if (value === null) continue;
    // fetch decompresses gzip/deflate, so the upstream length no longer matches what we send.
    if (name === 'content-length' && upstream.get('content-encoding')) continue;
    headers[name] = value;
  }
  return headers;
}

/** The low-level reason of a failed read (undici's "terminated" hides the socket error in `cause`). */
function reasonOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} [${code}]` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(' <- ') : String(error);
}
