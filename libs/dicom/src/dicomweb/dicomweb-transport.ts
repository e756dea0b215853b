import {
  DicomwebError,
  DicomwebHttpError,
  DicomwebIncompleteBodyError,
  DicomwebNetworkError,
  DicomwebRedirectError,
  DicomwebResponseTooLargeError,
  DicomwebTimeoutError,
} from './dicomweb-errors';
import { retry } from './retry';

/** How the client authenticates to one DICOMweb endpoint. */
export type DicomwebAuth = { type: 'none' } | { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string };

export interface DicomwebTransportOptions {
  /** Root of the DICOMweb service, e.g. `http://127.0.0.1:8042/dicom-web`; must not embed credentials. */
  baseUrl: string;
  auth?: DicomwebAuth;
  /** Limit for one attempt, headers and body together, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Further attempts for idempotent requests after a transient failure (default 3). */
  retries?: number;
  /** First back-off delay in milliseconds; doubles per attempt, with ±50 % jitter (default 200). */
  backoffMs?: number;
  /** Upper bound on any single wait, including a server's Retry-After, in milliseconds (default 30 000). */
  maxBackoffMs?: number;
  /**
   * Largest answer accepted, in bytes after any Content-Encoding is undone (default 2 GiB): series and
   * frames. Buffered answers are refused as soon as they pass it; streamed ones are cut there.
   */
  maxResponseBytes?: number;
  /** Largest DICOM JSON answer accepted (QIDO-RS, metadata, the STOW-RS report), in bytes (default 64 MiB). */
  maxJsonBytes?: number;
  /**
   * Headers sent with every request, under the request's own (e.g. the server's `Via`, by which it
   * recognises its own requests coming back to it). Authorization is never taken from here: use `auth`.
   */
  headers?: Record<string, string>;
}

/** Default caps: a 1,000-slice 512² CT is about 0.5 GB; no QIDO or metadata answer of one study nears 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_JSON_BYTES = 64 * 1024 ** 2;

export interface TransportRequest {
  /** The operation named in error messages, e.g. `QIDO-RS`. */
  operation: string;
  method: 'GET' | 'POST';
  /** Path below the base URL, already percent-encoded, starting with `/`. */
  path: string;
  query?: URLSearchParams;
  headers?: Record<string, string>;
  /**
   * A buffer, or chunks sent one after the other with their total as Content-Length: fetch copies a
   * buffer body, so a 40 MB STOW body given as chunks (its parts as they are) is never held twice more.
   */
  body?: Uint8Array<ArrayBuffer> | readonly Uint8Array[];
  /** Only idempotent requests are retried: a blind STOW retry could store twice or mask a conflict. */
  idempotent: boolean;
  /** Further attempts for this request instead of the client's `retries` (e.g. 0 for a try with a fallback). */
  retries?: number;
  /** Statuses that are answers, not failures (STOW's 409 carries a FailedSOPSequence to read). */
  acceptStatuses?: number[];
  /**
   * Throws a transient error when a 2xx body is visibly incomplete, so the retry loop covers it. Needed
   * because Node's fetch (undici) ends a chunked body cut by a closing connection without an error.
   */
  checkComplete?: (body: Uint8Array, headers: Headers) => void;
  /** `json`: the answer is DICOM JSON and gets the JSON cap; default `binary`. */
  answer?: 'json' | 'binary';
  signal?: AbortSignal;
}

/** A request whose answer the caller reads itself, whatever its status (the viewer's DICOMweb proxy, probes). */
export interface RawRequest {
  method: 'GET' | 'HEAD' | 'POST';
  /** Path below the base URL, already percent-encoded and checked by the caller, starting with `/`. */
  path: string;
  /** Query string without `?`, already encoded; never put in error messages (it may carry PHI). */
  query?: string;
  headers?: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
  signal?: AbortSignal;
}

/** The answer to a {@link RawRequest}: the body is a stream the caller must consume or cancel. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** Capped at `maxResponseBytes` (decoded bytes): past it the stream errors with DicomwebResponseTooLargeError. */
  body: ReadableStream<Uint8Array> | null;
  url: string;
}

export interface TransportResponse {
  status: number;
  headers: Headers;
  /** The whole body; owned by the caller. */
  body: Uint8Array;
  /** The request URL without credentials or query string, safe to log. */
  url: string;
}

/** Receives a response body chunk by chunk (see {@link DicomwebTransport.stream}). */
export interface BodySink {
  write(chunk: Uint8Array): void | Promise<void>;
  /** The body ended; throw a transient DicomwebError when it is visibly incomplete, to have it retried. */
  end(): void | Promise<void>;
}

/** Carries an error thrown by a sink through the attempt's error mapping unchanged. */
class SinkFailure {
  constructor(readonly error: unknown) {}
}

/**
 * HTTP for DICOMweb on the platform `fetch` (undici in Node 20). We deliberately do not use
 * dicomweb-client's XMLHttpRequest API through a polyfill: fetch is native in Node 20, streams
 * bodies, takes `AbortSignal.timeout`, and keeps a browser-shaped API out of the server.
 */
export class DicomwebTransport {
  readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxResponseBytes: number;
  private readonly maxJsonBytes: number;
  private readonly headers: Record<string, string>;

  constructor(options: DicomwebTransportOptions) {
    const url = new URL(options.baseUrl);
    // Credentials in the URL would end up in every error message and log line; take them as auth.
    if (url.username || url.password) throw new DicomwebError('DICOMweb base URL must not embed credentials: pass auth: { type: "basic", ... } instead', { transient: false });
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.authorization = authorizationHeader(options.auth ?? { type: 'none' });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.maxJsonBytes = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
    this.headers = Object.fromEntries(Object.entries(options.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
  }


  /**
   * Sends one request, retrying idempotent ones on connection errors, timeouts, 5xx, 408 and 429
   * (honouring Retry-After). Throws the last attempt's error when the retries are spent.
   */
  async request(request: TransportRequest): Promise<TransportResponse> {
    return this.withRetries(request, () => this.attempt(request));
  }

  /**
   * Like {@link request} for a 2xx answer whose body is consumed while it arrives: `open` is called
   * with the response headers of each attempt and returns the sink its chunks go to. A retried request
   * calls `open` again, so the caller starts over. Errors thrown by a sink propagate unchanged; a
   * transient DicomwebError from a sink (an incomplete body) is retried like a network failure.
   */
  async stream(request: TransportRequest, open: (headers: Headers, url: string) => BodySink | Promise<BodySink>): Promise<void> {
    await this.withRetries(request, () => this.attempt(request, open));
  }

  /**
   * Idempotent requests only, transient failures only. An incomplete body is retried once: a second
   * one in a row is reported as not transient (see DicomwebIncompleteBodyError).
   */
  private async withRetries<T>(request: TransportRequest, attempt: () => Promise<T>): Promise<T> {
    let incomplete = 0;
    try {
      return await retry(() => attempt(), {
        retries: request.idempotent ? (request.retries ?? this.retries) : 0,
        backoffMs: this.backoffMs,
        maxBackoffMs: this.maxBackoffMs,
        signal: request.signal,
        shouldRetry: (error) => {
          if (!(error instanceof DicomwebError) || !error.transient) return false;
          return !(error instanceof DicomwebIncompleteBodyError) || ++incomplete < 2;
        },
        delayFor: (error) => (error instanceof DicomwebHttpError && error.retryAfter ? parseRetryAfter(error.retryAfter) : undefined),
      });
    } catch (error) {
      if (error instanceof DicomwebIncompleteBodyError && error.transient && incomplete >= 2) {
        throw new DicomwebIncompleteBodyError(`${error.message} (twice in a row: not retried further)`, { transient: false, cause: error });
      }
      throw error;
    }
  }

  /**
   * One request whose answer the caller reads itself: no retry, any status returned as is except a
   * redirect (never followed: DicomwebRedirectError). `timeoutMs` covers the wait for the headers; the
   * body then streams as long as the caller reads, capped at `maxResponseBytes`.
   */
  async open(request: RawRequest): Promise<RawResponse> {
    const { response, timeout, safeUrl, target } = await this.send(request, 'DICOMweb', request.query);
    timeout.clear();
    requireDeclaredLength(response, this.maxResponseBytes, 'DICOMweb', target);
    return { status: response.status, headers: response.headers, body: response.body ? capStream(response.body, this.maxResponseBytes, 'DICOMweb', target) : null, url: safeUrl };
  }

  /**
   * Sends one request with the endpoint's headers and credentials and waits for its headers, under a
   * fresh `timeoutMs` deadline (combined with the caller's signal) that the caller clears or restarts.
   * A redirect is refused and never followed: the request carries the endpoint's credentials.
   * Errors name the URL without its query: QIDO queries can carry PatientName or PatientID (PHI).
   */
  private async send(
    request: { method: string; path: string; headers?: Record<string, string>; body?: Uint8Array<ArrayBuffer> | string | readonly Uint8Array[]; signal?: AbortSignal },
    operation: string,
    query: string | undefined,
  ): Promise<{ response: Response; timeout: Deadline; safeUrl: string; target: string }> {
    const safeUrl = `${this.baseUrl}${request.path}`;
    const target = `${request.method} ${safeUrl}`;
    const headers: Record<string, string> = { ...this.headers, ...request.headers };
    if (this.authorization) headers.Authorization = this.authorization;
    const timeout = new Deadline(this.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout.signal, request.signal]) : timeout.signal;
    let response: Response;
    try {
      const body = isChunks(request.body) ? chunkedBody(request.body, headers) : { body: request.body };
      response = await fetch(query ? `${safeUrl}?${query}` : safeUrl, { method: request.method, headers, ...body, signal, redirect: 'manual' } as RequestInit);
    } catch (error) {
      timeout.clear();
      throw this.failureOf(error, operation, target, timeout, request.signal);
    }
    if (isRedirect(response.status)) {
      timeout.clear();
      await response.body?.cancel().catch(() => undefined);
      throw new DicomwebRedirectError(`${operation} answered a redirect (${response.status}), which is never followed: ${target}`, response.status);
    }
    return { response, timeout, safeUrl, target };
  }

  private failureOf(error: unknown, operation: string, target: string, timeout: Deadline, callerSignal: AbortSignal | undefined): DicomwebError {
    if (error instanceof DicomwebError) return error;
    if (timeout.signal.aborted) return new DicomwebTimeoutError(`${operation} timed out after ${this.timeoutMs} ms: ${target}`, this.timeoutMs, { cause: error });
    if (callerSignal?.aborted) return new DicomwebError(`${operation} was aborted by the caller: ${target}`, { transient: false, cause: error });
    return new DicomwebNetworkError(`${operation} failed without a response (${networkReason(error)}): ${target}`, { cause: error });
  }

  private async attempt(request: TransportRequest, open?: (headers: Headers, url: string) => BodySink | Promise<BodySink>): Promise<TransportResponse> {
    const maxBytes = request.answer === 'json' ? this.maxJsonBytes : this.maxResponseBytes;
    // A whole-response limit for plain requests. A streamed body is consumed while it arrives (a large
    // series takes longer than any fixed limit on a busy server), so there the limit applies to the
    // wait for the headers and to every wait for the next chunk: a stalled PACS still fails the attempt.
    const { response, timeout, safeUrl, target } = await this.send(request, request.operation, request.query?.toString());
    try {
      requireDeclaredLength(response, maxBytes, request.operation, target);
      if (open && response.ok) {
        await streamBody(response, await runSink(() => open(response.headers, safeUrl)), () => timeout.restart(), maxBytes, request.operation, target);
        return { status: response.status, headers: response.headers, body: new Uint8Array(0), url: safeUrl };
      }
      // The timeout covers the body too: a PACS that stalls mid-series must not hang a job.
      const body = await readBody(response, maxBytes, request.operation, target);
      if (!response.ok && !request.acceptStatuses?.includes(response.status)) {
        throw new DicomwebHttpError(`${request.operation} failed with status ${response.status}: ${target}`, response.status, { retryAfter: response.headers.get('retry-after') ?? undefined });
      }
      if (response.ok) request.checkComplete?.(body, response.headers);
      return { status: response.status, headers: response.headers, body, url: safeUrl };
    } catch (error) {
      if (error instanceof SinkFailure) throw error.error;
      if (error instanceof DicomwebError) throw error;
      if (timeout.signal.aborted || request.signal?.aborted) throw this.failureOf(error, request.operation, target, timeout, request.signal);
      // The headers came, the body did not finish: a Content-Length lie or a connection closed mid-body.
      throw new DicomwebIncompleteBodyError(`${request.operation} answer ended before its end (${networkReason(error)}): ${target}`, { transient: true, cause: error });
    } finally {
      timeout.clear();
    }
  }
}

async function runSink<T>(operation: () => T | Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new SinkFailure(error);
  }
}

/** An abort signal that fires `ms` after the last (re)start. */
class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;

  constructor(private readonly ms: number) {
    this.timer = this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => this.controller.abort(new DOMException(`timed out after ${this.ms} ms`, 'TimeoutError')), this.ms);
    // Like AbortSignal.timeout: a pending deadline alone does not keep the process alive.
    timer.unref();
    return timer;
  }
}

/** Hands the body to `sink` chunk by chunk, calling `onChunk` before each; the abort signal still applies. */
async function streamBody(response: Response, sink: BodySink, onChunk: () => void, maxBytes: number, operation: string, target: string): Promise<void> {
  if (response.body) {
    const reader = response.body.getReader();
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > maxBytes) throw tooLarge(operation, target, maxBytes);
        onChunk();
        await runSink(() => sink.write(value));
      }
    } catch (error) {
      // Stop the download when the consumer failed: the rest of the series is not wanted.
      await reader.cancel().catch(() => undefined);
      throw error;
    }
  }
  await runSink(() => sink.end());
}

function tooLarge(operation: string, target: string, maxBytes: number): DicomwebResponseTooLargeError {
  return new DicomwebResponseTooLargeError(`${operation} answer is larger than the ${maxBytes} bytes accepted: ${target}`, maxBytes);
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** Refuses at once an answer whose declared (encoded) length is already past the cap. */
function requireDeclaredLength(response: Response, maxBytes: number, operation: string, target: string): void {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    void response.body?.cancel().catch(() => undefined);
    throw tooLarge(operation, target, maxBytes);
  }
}

/** Passes `body` through, erroring it (and cancelling the source) once more than `maxBytes` went by. */
function capStream(body: ReadableStream<Uint8Array>, maxBytes: number, operation: string, target: string): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        total += value.length;
        if (total > maxBytes) {
          await reader.cancel().catch(() => undefined);
          return controller.error(tooLarge(operation, target, maxBytes));
        }
        controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Reads the whole body into one buffer. Pulling chunks off the stream ourselves and copying them once
 * into a buffer of Content-Length (when given) measured 2-3x faster than `response.arrayBuffer()` on a
 * 70 MB WADO-RS series in Node 20; never go back to arrayBuffer() without re-running that benchmark.
 */
async function readBody(response: Response, maxBytes: number, operation: string, target: string): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const declared = Number(response.headers.get('content-length'));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // A declared length is only a hint (it may lie, and gzip changes it): never preallocate past the cap.
  let preallocated = Number.isSafeInteger(declared) && declared > 0 && declared <= maxBytes ? new Uint8Array(declared) : undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.length > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(operation, target, maxBytes);
    }
    if (preallocated && total + value.length <= preallocated.length) preallocated.set(value, total);
    else {
      // More bytes than announced (or no announcement): fall back to collecting chunks.
      if (preallocated) chunks.push(preallocated.subarray(0, total));
      preallocated = undefined;
      chunks.push(value);
    }
    total += value.length;
  }
  if (preallocated) return total === preallocated.length ? preallocated : preallocated.subarray(0, total);
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

function authorizationHeader(auth: DicomwebAuth): string | undefined {
  switch (auth.type) {
    case 'none':
      return undefined;
    case 'basic':
      return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
    case 'bearer':
      return `Bearer ${auth.token}`;
  }
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3); returns milliseconds. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Names the low-level reason (ECONNREFUSED, ...) that undici hides in `cause`, without any URL userinfo. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : 'unknown error';
}

function isChunks(body: Uint8Array | string | readonly Uint8Array[] | undefined): body is readonly Uint8Array[] {
  return Array.isArray(body);
}

/**
 * A fetch body that streams `chunks` as they are, with their total as Content-Length (set in `headers`),
 * so the request is not chunk-encoded and no chunk is copied. A new stream per attempt.
 */
function chunkedBody(chunks: readonly Uint8Array[], headers: Record<string, string>): { body: ReadableStream<Uint8Array>; duplex: 'half' } {
  headers['Content-Length'] = String(chunks.reduce((n, c) => n + c.byteLength, 0));
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
  return { body, duplex: 'half' };
}
